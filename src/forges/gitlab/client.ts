export { GitLabApiError, GitLabClient, gitlabClientFromEnv, type GitLabClientOptions, type GitLabJob, type ProjectRef } from "../../runners/gitlab.js";
