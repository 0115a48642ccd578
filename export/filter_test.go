package export

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// summary lists what a filtered export holds: "N:value,value" per ticket.
func summary(ts []Ticket) []string {
	var out []string
	for _, t := range ts {
		var vals []string
		for _, in := range t.Indicators {
			vals = append(vals, in.Value)
		}
		slices.Sort(vals)
		out = append(out, fmt.Sprintf("%d:%s", t.Number, strings.Join(vals, ",")))
	}
	return out
}

func TestFilter(t *testing.T) {
	all1 := "1:2001:db8::7,203.0.113.7,CVE-2024-3094,bad.example,billing@bad.example,d41d8cd98f00b204e9800998ecf8427e,da39a3ee5e6b4b0d3255bfef95601890afd80709,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855," + hostileURL
	for _, c := range []struct {
		name string
		o    Options
		want []string
	}{
		{"default: verified, green at most", Options{},
			[]string{all1, "3:bad.example,green3.example," + shared}},
		{"tlp-max clear: what #3 (clear) verified", Options{TLPMax: "white"},
			[]string{"3:bad.example,green3.example," + shared}},
		{"all: unverified and rejected too", Options{All: true},
			[]string{all1 + "," + unverified, "3:bad.example,green3.example", "5:" + rejected}},
		{"tlp-max amber", Options{TLPMax: "AMBER"},
			[]string{all1, "2:" + amberOnly + "," + shared, "3:bad.example,green3.example," + shared}},
		{"tlp-max red", Options{TLPMax: "tlp:red"},
			[]string{all1, "2:" + amberOnly + "," + shared, "3:bad.example,green3.example," + shared,
				"4:" + redOnly, "6:" + strict, "7:" + noTLP}},
		{"since: tickets updated or seen since", Options{Since: t1.Add(1)},
			[]string{"3:bad.example,green3.example," + shared}},
		{"since: an indicator seen since keeps its ticket", Options{Since: t1},
			[]string{all1, "3:bad.example,green3.example," + shared}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Filter(sample(), c.o)
			if err != nil {
				t.Fatal(err)
			}
			if s := summary(got); !reflect.DeepEqual(s, c.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(s, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

func TestFilterMerges(t *testing.T) {
	got, err := Filter(sample(), Options{TLPMax: "amber"})
	if err != nil {
		t.Fatal(err)
	}
	find := func(n int64, value string) Indicator {
		for _, tk := range got {
			for _, in := range tk.Indicators {
				if tk.Number == n && in.Value == value {
					return in
				}
			}
		}
		t.Fatalf("ticket %d has no %s", n, value)
		return Indicator{}
	}
	// Verified on #1 (green) and #3 (clear): the least strict of the
	// tickets that verified it, both tickets, the first and last
	// sightings of both.
	bad := find(3, "bad.example")
	if bad.TLP != "clear" || !reflect.DeepEqual(bad.Tickets, []int64{1, 3}) || !bad.FirstSeen.Equal(t0) || !bad.LastSeen.Equal(t1) {
		t.Errorf("bad.example = %+v", bad)
	}
	// Verified on #2 (amber) and #3 (clear): clear, on both tickets.
	if sh := find(2, shared); sh.TLP != "clear" || !reflect.DeepEqual(sh.Tickets, []int64{2, 3}) {
		t.Errorf("%s = %+v", shared, sh)
	}
	if tk := got[len(got)-1]; tk.Number != 3 || tk.TLP != "clear" || marking(tk) != Clear {
		t.Errorf("last ticket = %d %s marked %s, want 3 clear marked clear", tk.Number, tk.TLP, marking(tk))
	}
	// With --all, unverified indicators leave too, and then the strictest
	// ticket decides: #3 holds what #2 saw under amber.
	withAll, _ := Filter(sample(), Options{All: true, TLPMax: "amber"})
	if tk := withAll[len(withAll)-2]; tk.Number != 3 || marking(tk) != Amber {
		t.Errorf("with --all, ticket %d marked %s, want 3 marked amber", tk.Number, marking(tk))
	}
	// Filtering again changes nothing: the writers may be handed
	// filtered tickets.
	again, err := Filter(got, Options{TLPMax: "amber"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, got) {
		t.Errorf("Filter is not idempotent:\n got %+v\nwant %+v", again, got)
	}
	// An amber indicator's TLP holds even when only the green ticket is
	// passed, if the indicator says so.
	marked := []Ticket{{Number: 9, TLP: "green", State: "triaged", Indicators: []Indicator{
		{Type: "domain", Value: "marked.example", Verified: true, TLP: "amber"}}}}
	if again, _ := Filter(marked, Options{}); len(again) != 0 {
		t.Errorf("amber indicator left under green: %v", summary(again))
	}
}

// TestFilterSuppression: a mere report, or a rejected ticket, of a
// stricter TLP keeps no verified indicator out of the green feed
// (DESIGN.md invariant 7): one mail must not silence the league.
func TestFilterSuppression(t *testing.T) {
	ts := []Ticket{
		{Number: 1, TLP: "green", State: "escalated", Indicators: []Indicator{v("domain", "evil.example", t0, t0)}},
		{Number: 2, TLP: "amber", State: "new", Indicators: []Indicator{{Type: "domain", Value: "evil.example", FirstSeen: t1, LastSeen: t1}}},
		{Number: 3, TLP: "red", State: "rejected", Indicators: []Indicator{v("domain", "evil.example", t1, t1)}},
	}
	got, err := Filter(ts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := summary(got); !reflect.DeepEqual(s, []string{"1:evil.example"}) || got[0].Indicators[0].TLP != "green" {
		t.Errorf("got %v, want evil.example under green on #1", s)
	}
	// Verified only on the rejected ticket: not the league's word.
	got, _ = Filter(ts[2:], Options{TLPMax: "red"})
	if len(got) != 0 {
		t.Errorf("an indicator verified only on a rejected ticket left: %v", summary(got))
	}
}

func TestFilterBadTLPMax(t *testing.T) {
	if _, err := Filter(sample(), Options{TLPMax: "purple"}); err == nil || !strings.Contains(err.Error(), "purple") {
		t.Errorf("Filter(tlp-max purple) error = %v", err)
	}
}

func TestParseTLP(t *testing.T) {
	for _, c := range []struct {
		in   string
		want TLP
		ok   bool
	}{
		{"clear", Clear, true}, {"WHITE", Clear, true}, {"tlp:green", Green, true}, {"Amber", Amber, true},
		{"amber+strict", AmberStrict, true}, {" red ", Red, true}, {"", 0, false}, {"amber strict", 0, false},
	} {
		got, err := ParseTLP(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseTLP(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
	if !(Clear < Green && Green < Amber && Amber < AmberStrict && AmberStrict < Red) {
		t.Error("TLP levels out of order")
	}
}

func TestUUID5(t *testing.T) {
	// RFC 9562's DNS namespace and Python's uuid.uuid5(NAMESPACE_DNS, "python.org").
	dns := uuid{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got, want := uuid5(dns, "python.org").String(), "886313e1-3b8a-5372-9b90-0c9aee199e5d"; got != want {
		t.Errorf("uuid5 = %s, want %s", got, want)
	}
}
