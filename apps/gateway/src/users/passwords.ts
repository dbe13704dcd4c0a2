import { Algorithm, hash, verify } from '@node-rs/argon2';
import { ValidationError } from '@tickets/domain';

/** Shortest password a user may be given. */
export const MIN_PASSWORD_LENGTH = 8;
/**
 * Longest password accepted anywhere (user create/update and login), in characters: bounds the work a
 * request can cause (hashing cost grows with input) and the body size; longer ones are refused with 422.
 */
export const MAX_PASSWORD_LENGTH = 128;

/**
 * argon2id with the library's defaults (m = 19 MiB, t = 2, p = 1: OWASP's minimum for argon2id), as a PHC
 * string `$argon2id$v=19$m=...`: the only form a password is kept in (the user's events).
 * @throws ValidationError (422) when the password is not a string of MIN..MAX_PASSWORD_LENGTH characters
 */
export async function hashPassword(password: unknown): Promise<string> {
  if (
    typeof password !== 'string' ||
    password.length < MIN_PASSWORD_LENGTH ||
    password.length > MAX_PASSWORD_LENGTH
  ) {
    throw new ValidationError(
      `password must be a string of ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
  return hash(password, { algorithm: Algorithm.Argon2id });
}

/** A hash of a random password, verified against when the user is unknown so both answers take as long. */
let decoy: Promise<string> | undefined;

/**
 * Whether `password` matches `passwordHash` (a PHC string). Without a hash (unknown user) a decoy hash is
 * verified anyway and `false` returned, so timing does not tell unknown users from wrong passwords.
 */
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  if (passwordHash === undefined) {
    decoy ??= hash(`decoy-${Math.random()}`, { algorithm: Algorithm.Argon2id });
    await verify(await decoy, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
