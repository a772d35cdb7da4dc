/**
 * fast-check generators of hostile request bodies: a route's own keys mixed with keys meant for
 * mass assignment, huge strings, NUL, numbers JSON cannot carry, deep and odd JSON.
 */
import fc from 'fast-check'

/** Keys an attacker adds hoping the server stores them. */
export const hostileKeys = fc.constantFrom(
  '__proto__',
  'constructor',
  'owner_id',
  'user_id',
  'from_user_id',
  'quantity',
  'creator_id',
  'version',
  'from_inventory',
  'license_snapshot',
  'roles',
)

/** Numbers JSON can carry plus the ones it cannot (sent as strings). */
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 0.5, 1e21, -1e21, Number.MAX_SAFE_INTEGER + 2, 2 ** 31),
  fc.constantFrom('NaN', 'Infinity', '1e309', '-0', '10 '),
)

/** Values of every kind a body may carry. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileNumber,
  fc.string({ maxLength: 50 }),
  fc.constantFrom('\u0000', 'a\u0000b', '%_\\', "'; DROP TABLE items; --"),
  fc.string({ minLength: 10_000, maxLength: 20_000 }),
  fc.constant(JSON.parse('['.repeat(40) + ']'.repeat(40))),
  fc.uuid().map((id) => id.toUpperCase()),
  fc.constant(null),
)

/** Bodies built from the route's own keys, hostile keys and hostile values. */
export const hostileBody = (keys: string[]) =>
  fc.oneof(
    fc.dictionary(
      fc.oneof(fc.constantFrom(...keys), hostileKeys, fc.string({ maxLength: 10 })),
      hostileValue,
      { maxKeys: 6 },
    ),
    fc.jsonValue({ maxDepth: 2 }),
  )
