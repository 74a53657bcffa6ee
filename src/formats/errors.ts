/** A file that could not be parsed; the message is one line, without the path. */
export class FormatError extends Error {
  override readonly name = "FormatError";
}

export function depthError(max: number): FormatError {
  return new FormatError(`nesting deeper than ${max} levels`);
}
