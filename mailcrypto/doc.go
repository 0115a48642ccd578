// Package mailcrypto implements OpenPGP and S/MIME for the league's mail:
// the league's own key, contacts' public keys, PGP/MIME signing and
// encryption of what notify sends (RFC 3156, with the protected headers
// of RFC 9788), and the opening of what mailin takes in: decryption of
// PGP/MIME, inline PGP and S/MIME enveloped mail to the league's key, and
// verification of their signatures.
//
// It sits beside parser in the pipeline (DESIGN.md: mailin -> store(raw)
// -> [decrypt] -> parser; notify -> [sign/encrypt] -> SMTP) and, like
// parser, does no I/O of its own beyond reading its key files: bytes in,
// bytes and verdicts out. The store keeps what came in, encrypted; only
// the parse is made from the decrypted bytes.
//
// The name is not "crypto" so that it does not shadow the standard
// library's crypto packages in the files that use both.
package mailcrypto
