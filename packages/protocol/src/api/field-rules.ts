import * as z from 'zod/mini';

/**
 * Field builders shared by the request schemas. Each field has one message, used for every way it can be
 * wrong (wrong type, too short, too long), so a refusal reads the same whichever check tripped first.
 */

/** An integer from `min` to `max`. */
export function intIn(min: number, max: number) {
  const rule = `must be an integer from ${min} to ${max}`;
  return z
    .number({ error: rule })
    .check(z.refine(Number.isInteger, rule), z.gte(min, rule), z.lte(max, rule));
}

/** A string of `min` to `max` characters, none of them NUL (it would end the string in C and in argv). */
export function textOf(min: number, max: number, rule = `must be a string of ${min} to ${max} characters`) {
  return z.string({ error: rule }).check(
    z.minLength(min, rule),
    z.maxLength(max, rule),
    z.refine((s) => !s.includes('\0'), rule),
  );
}

/** The error of a body that is not a JSON object at all. */
export const JSON_OBJECT = { error: 'the body must be a JSON object' } as const;
