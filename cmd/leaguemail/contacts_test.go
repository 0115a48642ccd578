package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/store"
)

const goodContacts = `kind,name,email,country,region
cert,CERT-XX,incident@cert-xx.example,xx,
# the hospitals of the north
institution,St Mary Hospital,SOC@hospital.example,XX,North
institution,"General Clinic, Main Site",it@clinic.example,XX,North
triager,,alex@volunteers.example,,
`

func TestContactsCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "test.db")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaguemail := func(args ...string) (code int, stdout, stderr string) {
		var out, errb bytes.Buffer
		code = run(context.Background(), append(args, "--db", db), &out, &errb)
		return code, out.String(), errb.String()
	}
	list := func() []store.Contact {
		t.Helper()
		code, out, errs := leaguemail("contacts", "list", "--json")
		if code != 0 {
			t.Fatalf("list: %d %s", code, errs)
		}
		var cs []store.Contact
		if err := json.Unmarshal([]byte(out), &cs); err != nil {
			t.Fatalf("list --json: %v\n%s", err, out)
		}
		return cs
	}

	if cs := list(); cs == nil || len(cs) != 0 {
		t.Errorf("empty store lists %v", cs)
	}
	good := write("good.csv", goodContacts)
	code, out, errs := leaguemail("contacts", "import", good)
	if code != 0 || !strings.Contains(out, "4 contacts: 4 added, 0 updated, 0 unchanged") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	first := list()
	if len(first) != 4 {
		t.Fatalf("contacts %+v", first)
	}
	var mary store.Contact
	for _, c := range first {
		if c.Name == "St Mary Hospital" {
			mary = c
		}
	}
	if mary.Email != "soc@hospital.example" || mary.Domain != "hospital.example" || mary.Country != "XX" || mary.Region != "North" {
		t.Errorf("St Mary: %+v", mary)
	}

	// Importing the same file again changes nothing.
	code, out, _ = leaguemail("contacts", "import", good)
	if code != 0 || !strings.Contains(out, "0 added, 0 updated, 4 unchanged") {
		t.Errorf("second import: %d %q", code, out)
	}
	if again := list(); len(again) != len(first) || !reflect.DeepEqual(again[0], first[0]) || !reflect.DeepEqual(again[3], first[3]) {
		t.Errorf("second import changed the contacts:\n%+v\n%+v", first, again)
	}

	// Columns in another order, a changed region.
	moved := write("moved.csv", "email,kind,region,name,country\nit@clinic.example,institution,South,General Clinic,XX\n")
	if code, out, errs := leaguemail("contacts", "import", moved); code != 0 || !strings.Contains(out, "0 added, 1 updated") {
		t.Errorf("reordered import: %d %q %q", code, out, errs)
	}

	// The sector column: the scope of TAXII keys, lower-cased; a change
	// of sector alone is an update.
	sectored := write("sector.csv", "kind,name,email,country,sector\ninstitution,General Clinic,it@clinic.example,XX, Health \n")
	if code, out, errs := leaguemail("contacts", "import", sectored); code != 0 || !strings.Contains(out, "0 added, 1 updated") {
		t.Errorf("sector import: %d %q %q", code, out, errs)
	}
	for _, c := range list() {
		if c.Email == "it@clinic.example" && c.Sector != "health" {
			t.Errorf("the clinic's sector is %q, want health", c.Sector)
		}
	}
	if code, out, _ := leaguemail("contacts", "list"); code != 0 || !strings.Contains(out, "SECTOR") || !strings.Contains(out, "health") {
		t.Errorf("list lacks the sector:\n%s", out)
	}

	bad := []struct {
		name, body, want string
	}{
		{"sector on a triager", "kind,email,sector\ntriager,a@x.example,health\n", `sector-on-a-triager.csv:2: a triager has no sector`},
		{"bad kind", "cert,CERT-XX,incident@cert-xx.example,XX,\nbank,Big Bank,it@bank.example,XX,\n", `bad-kind.csv:2: kind "bank" is not cert, institution, triager, abuse or le`},
		{"bad email", "kind,name,email\n\ncert,CERT-YY,not an address\n", `bad-email.csv:3: "not an address" is not a bare mail address`},
		{"bad country", "institution,Far Hospital,sec@far.example,France,\n", `bad-country.csv:1: country "France" is not a two-letter ISO 3166 code`},
		{"no name", "cert,,cert@cert-zz.example,ZZ,\n", `no-name.csv:1: a cert needs a name`},
		{"duplicate", "triager,,a@x.example\ntriager,,A@x.example\n", `duplicate.csv:2: triager a@x.example is on line 1 already`},
		{"too many fields", "triager,,a@x.example,,,,,fr,,extra\n", `too-many-fields.csv:1: 10 fields`},
		{"abuse without covers", "abuse,Hoster Abuse,abuse@hoster.example,,\n", `abuse-without-covers.csv:1: an abuse contact needs covers`},
		{"bad covers", "kind,name,email,covers\nabuse,Hoster Abuse,abuse@hoster.example,192.0.2.0/99\n", `bad-covers.csv:2: covers: "192.0.2.0/99" is not a CIDR range`},
		{"covers on a cert", "cert,CERT-XX,incident@cert-xx.example,XX,,cert-xx.example\n", `covers-on-a-cert.csv:1: covers is for abuse contacts and institutions, not a cert`},
		{"le without country", "le,Cyber Police,cyber@police.example,,\n", `le-without-country.csv:1: a law enforcement contact needs a country`},
		{"bad shift", "triager,,a@x.example,,,,Mon 8-16 UTC\n", `bad-shift.csv:1: shift "Mon 8-16 UTC": "8" is not a time of day`},
		{"shift of a cert", "cert,CERT-Q,c@q.example,QQ,,,Mon 08:00-16:00 UTC\n", `shift-of-a-cert.csv:1: a cert has no shift`},
		{"bad lang", "kind,name,email,country,lang\ninstitution,CHU,soc@chu.example,FR,français\n", `bad-lang.csv:2: lang "français" is not a BCP 47 language tag`},
		{"unknown column", "kind,email,phone\n", `unknown-column.csv:1: unknown column "phone"`},
		{"broken quoting", "cert,\"CERT-XX,incident@cert-xx.example\n", `broken-quoting.csv`},
		{"several bad lines", "bank,,a@x.example\nbank,,b@x.example\n", `several-bad-lines.csv:1: kind "bank" is not cert, institution, triager, abuse or le (and 1 more bad line)`},
		{"empty", "# nothing\n", "no contacts in it"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			p := write(strings.ReplaceAll(tt.name, " ", "-")+".csv", tt.body)
			code, _, errs := leaguemail("contacts", "import", p)
			if code != 1 || !strings.Contains(errs, tt.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 1 and one line with %q", code, errs, tt.want)
			}
		})
	}
	// A bad file imports nothing, not even its good lines.
	if cs := list(); len(cs) != 4 {
		t.Errorf("a bad file imported some lines: %+v", cs)
	}

	for _, args := range [][]string{{"contacts"}, {"contacts", "import"}, {"contacts", "list", "--kind", "bank"}, {"contacts", "remove", "x"}} {
		if code, _, _ := leaguemail(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := leaguemail("contacts", "import", filepath.Join(dir, "missing.csv")); code != 1 || !strings.Contains(errs, "missing.csv") {
		t.Errorf("missing file: %d %q", code, errs)
	}
	code, out, _ = leaguemail("contacts", "list", "--kind", "cert")
	if code != 0 || !strings.Contains(out, "CERT-XX") || strings.Contains(out, "Clinic") {
		t.Errorf("list --kind cert: %d\n%s", code, out)
	}
}

// A triager's shift column is the on-call rota that package sla reads.
func TestContactsShift(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "test.db")
	p := filepath.Join(dir, "c.csv")
	body := "kind,email,shift\ntriager,alex@volunteers.example,Mon-Fri 08:00-16:00 Europe/Paris; Sat 10:00-14:00 UTC\ntriager,sam@volunteers.example,\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"contacts", "import", p, "--db", db}, &out, &errb); code != 0 {
		t.Fatalf("import: %d %s", code, errb.String())
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var shifts map[string]string
	if err := st.Update(ctx, func(tx *store.Tx) (err error) { shifts, err = tx.Shifts(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if len(shifts) != 1 || shifts["alex@volunteers.example"] != "Mon-Fri 08:00-16:00 Europe/Paris; Sat 10:00-14:00 UTC" {
		t.Errorf("shifts = %q", shifts)
	}
}
