package takedown

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// XARF v4 (xarf.org, schemas/v4/xarf-core.json and
// types/content-phishing.json): one JSON report per incident, attached
// to the takedown mail. Values inside are live, never defanged: XARF is
// read by machines, and a defanged URL would not match the desk's
// records. The mail's text carries the defanged ones (DESIGN.md
// invariant 6).

// xarfParty is XARF's contact_info.
type xarfParty struct {
	Org     string `json:"org"`
	Contact string `json:"contact"`
	Domain  string `json:"domain"`
}

type xarfEvidence struct {
	ContentType string `json:"content_type"`
	Description string `json:"description,omitempty"`
	Payload     []byte `json:"payload"` // encoding/json writes base64, as XARF wants
	Hash        string `json:"hash,omitempty"`
	Size        int    `json:"size,omitempty"`
}

// XARF is one XARF v4 report of category content, type phishing.
type XARF struct {
	Version          string         `json:"xarf_version"`
	ReportID         string         `json:"report_id"`
	Timestamp        string         `json:"timestamp"`
	Reporter         xarfParty      `json:"reporter"`
	Sender           xarfParty      `json:"sender"`
	SourceIdentifier string         `json:"source_identifier"`
	Category         string         `json:"category"`
	Type             string         `json:"type"`
	EvidenceSource   string         `json:"evidence_source"`
	URL              string         `json:"url,omitempty"`
	Description      string         `json:"description,omitempty"`
	Evidence         []xarfEvidence `json:"evidence"`
	Tags             []string       `json:"tags,omitempty"`
}

// xarfFor builds the report of one indicator: source_identifier is the
// address it was resolved to for a hoster, or the host for a registrar;
// url is the URL itself (for a domain, its root). facts are the plain
// facts of the text, the evidence.
func xarfFor(league, leagueName string, ticket int64, typ, value, source string, firstSeen time.Time, facts string) ([]byte, error) {
	_, dom, _ := strings.Cut(league, "@")
	org := leagueName
	if org == "" {
		org = dom
	}
	party := xarfParty{Org: org, Contact: league, Domain: dom}
	u := value
	if typ == "domain" {
		u = "http://" + value + "/"
	}
	payload := []byte(facts)
	sum := sha256.Sum256(payload)
	x := XARF{
		Version: "4.0.0", ReportID: uuid4(), Timestamp: firstSeen.UTC().Format(time.RFC3339),
		Reporter: party, Sender: party, SourceIdentifier: source,
		Category: "content", Type: "phishing", EvidenceSource: "user_report", URL: u,
		Description: fmt.Sprintf("Phishing reported to %s, ticket %d; verified by a triager", org, ticket),
		Evidence: []xarfEvidence{{ContentType: "text/plain", Description: "What the league knows of it",
			Payload: payload, Hash: "sha256:" + hex.EncodeToString(sum[:]), Size: len(payload)}},
		Tags: []string{fmt.Sprintf("ticket:%d", ticket)},
	}
	return json.MarshalIndent(x, "", "  ")
}

// uuid4 is a random UUID (RFC 9562 section 5.4), XARF's report_id.
func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
