/**
 * A problem with one plot (bad data, unknown field, bad template). Its message is the line shown
 * in place of the plot, so it carries DVC's wording where DVC has one.
 */
export class PlotError extends Error {
  override name = "PlotError";
}

/** DVC's FieldNotFoundError, same text: users search for it. */
export class FieldNotFoundError extends PlotError {
  override name = "FieldNotFoundError";
  constructor(expected: string, found: readonly string[]) {
    super(`Could not find provided field ('${expected}') in data fields ('${found.join(", ")}').`);
  }
}

/** DVC's TemplateNotFoundError. */
export class TemplateNotFoundError extends PlotError {
  override name = "TemplateNotFoundError";
  constructor(path: string) {
    super(`Template '${path}' not found.`);
  }
}

/** DVC's BadTemplateError, raised for a template lacking the data anchor, and for hostile content. */
export class BadTemplateError extends PlotError {
  override name = "BadTemplateError";
}

/** Rendering failed in the sandbox: invalid spec, time or memory limit, blocked load. */
export class RenderError extends PlotError {
  override name = "RenderError";
}
