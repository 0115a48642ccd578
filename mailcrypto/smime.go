package mailcrypto

// SMIME is the league's S/MIME certificate and key.
type SMIME struct{}

// Cert is a contact's S/MIME certificate.
type Cert struct{}

func (p *opener) smimeSigned(e entity, params map[string]string, depth int) ([]byte, bool) {
	return nil, false
}

func (p *opener) smimeMIME(e entity, params map[string]string, depth int) ([]byte, bool) {
	return nil, false
}
