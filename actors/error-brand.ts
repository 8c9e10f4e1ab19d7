/**
 * `instanceof` for Portcullis's error classes across copies of the package.
 *
 * A realm module or a `--plugin` checker that depends on `portcullis` itself gets its own copy of
 * the error classes, so a `NoSuchInterface` or an `UnauthorizedLogin` it throws is not an
 * instance of the runtime's classes by prototype: an outside probe saw such refusals reach
 * clients as `LoginFailed` and go uncounted by the rate limiter. Each class carries a brand on
 * its prototype, registered under a global symbol; `instanceof` falls back to comparing brands.
 */

const BRAND = Symbol.for("portcullis.error.brand");

type Branded = { readonly [BRAND]?: string };

/** Marks `cls` as the Portcullis error class `brand`, recognised in every copy of the package. */
export function brandError(cls: abstract new (...args: never[]) => Error, brand: string): void {
  Object.defineProperty(cls.prototype, BRAND, { value: `portcullis:${brand}` });
}

/**
 * Whether `value` is an instance of `cls`, by prototype or, for Portcullis's own classes, by a
 * brand anywhere on its prototype chain. A user's subclass of one of them (which has no brand of
 * its own) is matched by prototype only.
 */
export function isBrandedInstance(cls: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
  if (typeof value !== "object" || value === null || !Object.hasOwn(cls.prototype as object, BRAND)) return false;
  const brand = (cls.prototype as Branded)[BRAND];
  for (let proto: unknown = Object.getPrototypeOf(value); proto !== null && typeof proto === "object"; proto = Object.getPrototypeOf(proto)) {
    if (Object.hasOwn(proto, BRAND) && (proto as Branded)[BRAND] === brand) return true;
  }
  return false;
}
