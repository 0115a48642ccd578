package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hospital-league/leaguemail/mailcrypto"
	"github.com/hospital-league/leaguemail/store"
)

// Crypto is how the sender signs and encrypts (DESIGN.md: notify ->
// [sign/encrypt] -> SMTP). The zero value does neither.
type Crypto struct {
	// League signs (PGP/MIME) and is the key the acknowledgement points at.
	League *mailcrypto.League
	// SMIME signs the S/MIME mail sent to contacts with a certificate and
	// no OpenPGP key.
	SMIME *mailcrypto.SMIME
	// Sign signs every mail that is not encrypted, with League.
	Sign bool
	// RequireFor is the lowest TLP whose detail leaves only encrypted
	// ("clear", "green", "amber", "amber+strict", "red"; "" or "none": no
	// requirement).
	RequireFor string
	// KeyURL is where the league's key is published (for the mail text).
	KeyURL string
	// Triagers are told when a recipient gets no detail (triager contacts
	// in the store are told too).
	Triagers []string
}

// TemplateWithheld is the template of a mail that carries no detail: the
// recipient has no usable key and the TLP asks for encryption.
const TemplateWithheld = "encrypted-waiting"

// tlpRank orders the TLP levels (TLP 2.0; "white" is 1.0's "clear").
func tlpRank(tlp string) int {
	switch strings.ToLower(strings.TrimSpace(tlp)) {
	case "clear", "white":
		return 0
	case "green":
		return 1
	case "amber":
		return 2
	case "amber+strict":
		return 3
	case "red":
		return 4
	}
	return -1
}

// detailKind reports whether a kind of mail carries the league's detail
// to a third party, where the TLP decides whether it may go in clear.
// Replies go to the ticket's own reporter, whose report it is: they are
// encrypted when the reporter has a key, and never withheld.
func detailKind(kind string) bool {
	return kind == store.KindEscalation || kind == store.KindAlert || strings.HasPrefix(kind, "takedown")
}

// protection is what build does to a rendered mail.
type protection struct {
	pgp   []*mailcrypto.Key
	smime []*mailcrypto.Cert
	sign  bool
}

// recipientKeys are the usable keys of one recipient, or why none is.
type recipientKeys struct {
	pgp   *mailcrypto.Key
	smime *mailcrypto.Cert
	why   string
}

func (s *Sender) keysOf(ctx context.Context, addr string) (recipientKeys, error) {
	keys, err := s.st.KeysFor(ctx, addr)
	if err != nil {
		return recipientKeys{}, &storeError{fmt.Errorf("keys of %s: %w", addr, err)}
	}
	now := s.now()
	var r recipientKeys
	var why []string
	for _, k := range keys {
		switch k.Kind {
		case store.KeyOpenPGP:
			pk, err := mailcrypto.ParseKey(k.Data)
			if err != nil {
				why = append(why, fmt.Sprintf("key %s unreadable", k.Fingerprint))
				continue
			}
			if i := pk.Info(now); !i.Usable() {
				why = append(why, fmt.Sprintf("key %s %s", k.Fingerprint, i.Status))
			} else if r.pgp == nil {
				r.pgp = pk
			}
		case store.KeySMIME:
			cs, err := mailcrypto.ParseCerts(k.Data)
			if err != nil || len(cs) == 0 {
				why = append(why, fmt.Sprintf("certificate %s unreadable", k.Fingerprint))
				continue
			}
			if i := cs[0].Info(now); !i.Usable() {
				why = append(why, fmt.Sprintf("certificate %.16s %s", k.Fingerprint, i.Status))
			} else if r.smime == nil {
				r.smime = cs[0]
			}
		}
	}
	if r.pgp == nil && r.smime == nil {
		r.why = "no key for " + addr
		if len(why) > 0 {
			r.why = addr + ": " + strings.Join(why, ", ")
		}
	}
	return r, nil
}

// protect decides how m leaves: encrypted to its recipients' keys
// (OpenPGP first, S/MIME for recipients with only a certificate), signed,
// or, for detail under a TLP that must travel encrypted to a recipient
// without a usable key, withheld: m becomes the mail that asks for a key,
// and the triagers are told (invariant 8: never silently nowhere). v is
// updated for the template.
func (s *Sender) protect(ctx context.Context, m *store.OutboxMail, v *View) (protection, error) {
	c := s.cfg.Crypto
	if c.League != nil {
		v.KeyURL, v.KeyFingerprint = c.KeyURL, c.League.Public().Fingerprint()
	}
	p := protection{sign: c.Sign && c.League != nil}
	if m.Kind == store.KindAck && m.Cause != 0 {
		// A report that came encrypted is not repeated in clear.
		enc, err := s.st.CameEncrypted(ctx, m.Cause)
		if err != nil {
			return p, &storeError{err}
		}
		if enc {
			return s.answerEncrypted(ctx, m, v, p)
		}
	}
	// What the league sends to outsiders on a triager's word is
	// encrypted where it can be; its own notices, answers and
	// acknowledgements are signed only, so that their Subject still says
	// what they are.
	if m.Template == TemplateWithheld || !(detailKind(m.Kind) || m.Kind == store.KindReply) {
		return p, nil
	}
	var pgp []*mailcrypto.Key
	var certs []*mailcrypto.Cert
	var missing []string
	for _, r := range m.Recipients {
		k, err := s.keysOf(ctx, r)
		if err != nil {
			return p, err
		}
		switch {
		case k.pgp != nil:
			pgp = append(pgp, k.pgp)
		case k.smime != nil:
			certs = append(certs, k.smime)
		default:
			missing = append(missing, k.why)
		}
	}
	switch {
	case len(missing) == 0 && len(certs) == 0 && len(pgp) > 0:
		p.pgp = pgp
		return p, nil
	case len(missing) == 0 && len(pgp) == 0 && len(certs) > 0:
		p.smime = certs
		return p, nil
	case len(missing) == 0 && len(pgp) > 0:
		// One recipient with OpenPGP, another with S/MIME only: one mail
		// cannot be both. Triage queues one recipient a mail, so this is
		// rare; such a mail is treated as one without keys.
		missing = append(missing, "recipients need both OpenPGP and S/MIME")
	}
	req := tlpRank(c.RequireFor)
	if !detailKind(m.Kind) || req < 0 || tlpRank(v.TLP) < req {
		return p, nil // clear text allowed: signed only
	}
	reason := fmt.Sprintf("TLP:%s detail leaves only encrypted, and %s", strings.ToUpper(v.TLP), strings.Join(missing, "; "))
	if err := s.withhold(ctx, m, v, reason); err != nil {
		return p, err
	}
	v.Result = strings.Join(missing, "; ")
	return p, nil
}

// TemplateAckEncrypted acknowledges a report that came encrypted, to a
// reporter whose key the league does not hold: it repeats nothing of it.
const TemplateAckEncrypted = "ack-encrypted"

// answerEncrypted protects the acknowledgement of an encrypted report:
// encrypted when the reporter has a usable key, else rendered without the
// report's subject and indicators.
func (s *Sender) answerEncrypted(ctx context.Context, m *store.OutboxMail, v *View, p protection) (protection, error) {
	var pgp []*mailcrypto.Key
	var certs []*mailcrypto.Cert
	for _, r := range m.Recipients {
		k, err := s.keysOf(ctx, r)
		if err != nil {
			return p, err
		}
		switch {
		case k.pgp != nil:
			pgp = append(pgp, k.pgp)
		case k.smime != nil:
			certs = append(certs, k.smime)
		default:
			pgp, certs = nil, nil
			m.Template, m.Subject = TemplateAckEncrypted, strings.TrimSpace(v.Tag+" Received")
			return p, nil
		}
	}
	if len(pgp) == len(m.Recipients) {
		p.pgp = pgp
	} else if len(certs) == len(m.Recipients) {
		p.smime = certs
	} else {
		m.Template, m.Subject = TemplateAckEncrypted, strings.TrimSpace(v.Tag+" Received")
	}
	return p, nil
}

// withhold rewrites m into the mail that asks for a key, records why on
// its ticket, and queues a triager-update to every triager, in one
// transaction.
func (s *Sender) withhold(ctx context.Context, m *store.OutboxMail, v *View, reason string) error {
	subject := "Encrypted report waiting"
	if v.Tag != "" {
		subject = v.Tag + " " + subject
	}
	to := strings.Join(m.Recipients, ", ")
	now := s.now()
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		if err := tx.Withhold(ctx, m.ID, TemplateWithheld, subject,
			fmt.Sprintf("the %s to %s carries no detail: %s; they were asked for their key", m.Kind, to, reason), now); err != nil {
			return err
		}
		if m.Ticket == 0 {
			return nil
		}
		ts, err := tx.Triagers(ctx)
		if err != nil {
			return err
		}
		for _, t := range s.cfg.Crypto.Triagers {
			ts = append(ts, strings.ToLower(strings.TrimSpace(t)))
		}
		slices.Sort(ts)
		ts = slices.Compact(slices.DeleteFunc(ts, func(t string) bool { return t == "" }))
		data, err := json.Marshal(store.MailData{
			Ticket: m.Ticket, Tag: v.Tag, Subject: v.Subject, Severity: v.Severity, TLP: v.TLP,
			Indicators: []store.MailIndicator{},
			Command:    fmt.Sprintf("NO DETAIL SENT: the %s to %s", m.Kind, to),
			Result: fmt.Sprintf("%s got no detail of this ticket: %s. They were sent a mail asking for their key. "+
				"Import it with `leaguemail keys import FILE.asc` (check its fingerprint with them first), then send the %s again.",
				to, reason, m.Kind),
		})
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			s.log.Error("detail withheld and no triager to tell: configure [triage] triagers", s.attrs(*m)...)
		}
		for _, t := range ts {
			u := &store.OutboxMail{Ticket: m.Ticket, Kind: store.KindTriagerUpdate, Template: store.KindTriagerUpdate,
				Recipients: []string{t}, From: m.From, MessageID: s.newMessageID(m.Ticket),
				Subject: v.Tag + " No detail sent to " + to, Data: data, CreatedAt: now}
			if _, err := tx.Enqueue(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return &storeError{fmt.Errorf("withhold detail of mail %d: %w", m.ID, err)}
	}
	s.log.Warn("detail withheld: recipient has no usable key", append(s.attrs(*m), "reason", reason)...)
	m.Template, m.Subject = TemplateWithheld, subject
	s.Wake()
	return nil
}

func (s *Sender) newMessageID(n int64) string {
	b := make([]byte, 12)
	rand.Read(b)
	_, dom, _ := strings.Cut(s.cfg.From, "@")
	return fmt.Sprintf("<t%d.%s@%s>", n, hex.EncodeToString(b), dom)
}

// apply signs or encrypts a rendered mail.
func (p protection) apply(c Crypto, msg []byte) ([]byte, error) {
	switch {
	case len(p.pgp) > 0:
		return mailcrypto.Encrypt(msg, p.pgp, c.League)
	case len(p.smime) > 0:
		return mailcrypto.EncryptSMIME(msg, p.smime, c.SMIME)
	case p.sign:
		return c.League.Sign(msg)
	}
	return msg, nil
}
