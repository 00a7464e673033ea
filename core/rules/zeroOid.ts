// The id git gives the old value of a ref it creates and the new value of one it deletes.

/** Forty zeros: no object. */
export const ZERO_OID = '0'.repeat(40);
