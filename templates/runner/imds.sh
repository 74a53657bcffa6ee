# Shared by every runner bootstrap: the instance metadata service (IMDS) serves this instance's user
# data, runner credentials included, to any local process that asks; cloud-init's copies are
# root-only, the metadata service is not. `block_imds USER` rejects USER's packets to it (an
# iptables/nftables owner match), so the job, which runs as USER, cannot read the user data back.
# Fails closed: the runner does not start when the block cannot be set.
# The IPv6 endpoint (fd00:ec2::254) is off: the bot never sets HttpProtocolIpv6. Containers are covered
# by the hop limit of 1 the bot sets (their answers cannot come back through the bridge); a user in
# the docker group or with sudo is root and nothing on the machine is hidden from it, so the AMI must
# not put the runner user there.
block_imds() {
  local uid
  uid="$(id -u "$1")"
  if command -v iptables >/dev/null 2>&1; then
    iptables -w -I OUTPUT -d 169.254.169.254/32 -m owner --uid-owner "${uid}" -j REJECT
  elif command -v nft >/dev/null 2>&1; then
    nft -f - <<MLREVIEW_NFT_END
table inet mlreview_imds {
  chain output {
    type filter hook output priority 0; policy accept;
    meta skuid ${uid} ip daddr 169.254.169.254 reject
  }
}
MLREVIEW_NFT_END
  else
    log "neither iptables nor nft is installed: the job could read the runner's credentials from the instance metadata"
    return 1
  fi
}
