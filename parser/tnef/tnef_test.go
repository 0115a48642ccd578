package tnef

import (
	"bytes"
	"errors"
	"golang.org/x/text/encoding/charmap"
	"reflect"
	"strings"
	"testing"
)

// iidIMessage starts the object of an embedded message.
var iidIMessage = []byte{0x07, 0x03, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}

// rtfSample is compressed RTF as the example of [MS-OXRTFCP] gives it.
var rtfSample = []byte{
	0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7,
	0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20,
	0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f,
	0xa0,
}

func cp1251(s string) []byte {
	b, _ := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
	return b
}

type readTest struct {
	name string
	data []byte
	lim  Limits
	want *Message
	// errs are substrings of the entries of Message.Errors, in order.
	errs []string
}

var readTests = []readTest{
	{
		name: "legacy attributes",
		data: newTNEF().
			attr(levelMessage, idFrom, triple("Alice Example", "SMTP:alice@example.org")).
			attr(levelMessage, idSubject, sz("Invoice")).
			attr(levelMessage, idMessageID, sz("C326F5735704184D")).
			attr(levelMessage, idBody, sz("Please pay.\r\n")).
			attachment("INVOICE.EXE", []byte("MZ\x90\x00")).
			attachment("readme.txt", []byte("hello")).
			bytes(),
		want: &Message{
			Subject:   "Invoice",
			From:      "Alice Example <alice@example.org>",
			MessageID: "C326F5735704184D",
			Body:      "Please pay.\r\n",
			Attachments: []Attachment{
				{Filename: "INVOICE.EXE", Data: []byte("MZ\x90\x00")},
				{Filename: "readme.txt", Data: []byte("hello")},
			},
		},
	},
	{
		name: "MAPI properties",
		data: newTNEF().
			attr(levelMessage, idSubject, sz("legacy subject")).
			attr(levelMessage, idMAPIProps, (&props{}).
				addNamed(ptLong, 0x8001, "", le32(7)).
				addNamed(ptUnicode, 0x8002, "x-spam-score", utf16z("high")).
				add(ptLong|mvFlag, 0x6001, le32(1), le32(2), le32(3)).
				add(ptString8|mvFlag, 0x6002, sz("a"), sz("bcdef")).
				add(ptShort, 0x6003, []byte{1, 0}).
				add(ptBoolean, 0x6004, []byte{1, 0}).
				add(ptSysTime, 0x6005, make([]byte, 8)).
				add(ptCLSID, 0x6006, make([]byte, 16)).
				add(ptLong, prMessageCodepage, le32(1251)).
				add(ptUnicode, prSubject, utf16z("Счёт")).
				add(ptString8, prBody, append(cp1251("Оплатите"), 0)).
				add(ptBinary, prBodyHTML, []byte("<p>hi</p>")).
				add(ptBinary, prRTFCompressed, rtfSample).
				add(ptUnicode, prInternetMessageID, utf16z("<1@example.org>")).
				add(ptUnicode, prSenderName, utf16z("Боб")).
				add(ptString8, prSenderSMTPAddress, sz("bob@example.org")).
				bytes()).
			attr(levelAttachment, idAttachRendData, rendData).
			attr(levelAttachment, idAttachTitle, sz("SHORT~1.PDF")).
			attr(levelAttachment, idAttachment, (&props{}).
				add(ptUnicode, prAttachLongFilename, utf16z("Счёт № 7.pdf")).
				add(ptString8, prAttachFilename, sz("SHORT~1.PDF")).
				add(ptString8, prAttachMIMETag, sz("application/pdf")).
				add(ptBinary, prAttachDataBin, []byte("%PDF-1.7")).
				bytes()).
			attr(levelAttachment, idAttachRendData, rendData).
			attr(levelAttachment, idAttachment, (&props{}).
				add(ptString8, prDisplayName, sz("Forwarded message")).
				add(ptObject, prAttachDataBin, append(append([]byte(nil), iidIMessage...), 0x78, 0x9f, 0x3e, 0x22)).
				bytes()).
			bytes(),
		want: &Message{
			Subject:       "Счёт",
			From:          "Боб <bob@example.org>",
			MessageID:     "<1@example.org>",
			Body:          "Оплатите",
			HTML:          "<p>hi</p>",
			RTFCompressed: rtfSample,
			Attachments: []Attachment{
				{Filename: "Счёт № 7.pdf", MimeType: "application/pdf", Data: []byte("%PDF-1.7")},
				{Filename: "Forwarded message", Data: []byte{0x78, 0x9f, 0x3e, 0x22}},
			},
		},
	},
	{
		name: "OEM code page",
		data: newTNEF().
			attr(levelMessage, idOemCodepage, append(le32(1251), le32(0)...)).
			attr(levelMessage, idSubject, append(cp1251("Привет"), 0)).
			bytes(),
		want: &Message{Subject: "Привет"},
	},
	{
		name: "Windows-1252 by default",
		data: newTNEF().attr(levelMessage, idSubject, sz("caf\xe9")).bytes(),
		want: &Message{Subject: "café"},
	},
	{
		name: "bad checksum keeps the data",
		data: newTNEF().
			attrSum(levelMessage, idSubject, sz("Invoice"), 0xBEEF).
			attachment("a.txt", []byte("a")).
			bytes(),
		want: &Message{
			Subject:     "Invoice",
			Attachments: []Attachment{{Filename: "a.txt", Data: []byte("a")}},
		},
		errs: []string{"bad checksum"},
	},
	{
		name: "truncated in attachment data",
		data: trunc(newTNEF().
			attr(levelMessage, idSubject, sz("Invoice")).
			attachment("a.txt", []byte("a")).
			attachment("b.bin", bytes.Repeat([]byte("b"), 100)).
			bytes(), 50),
		want: &Message{
			Subject: "Invoice",
			Attachments: []Attachment{
				{Filename: "a.txt", Data: []byte("a")},
				{Filename: "b.bin"},
			},
		},
		errs: []string{"truncated"},
	},
	{
		name: "truncated in attribute header",
		data: newTNEF().attr(levelMessage, idSubject, sz("Invoice")).raw(levelMessage, 0x04, 0x80).bytes(),
		want: &Message{Subject: "Invoice"},
		errs: []string{"header of 3 bytes: truncated"},
	},
	{
		name: "length beyond the input",
		data: newTNEF().raw(levelMessage, 0x04, 0x80, 0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 'x').bytes(),
		want: &Message{},
		errs: []string{"4294967295 bytes"},
	},
	{
		name: "garbage after the attributes",
		data: newTNEF().attr(levelMessage, idSubject, sz("Invoice")).raw([]byte("\r\n--boundary--\r\n")...).bytes(),
		want: &Message{Subject: "Invoice"},
		errs: []string{"level 0x0d: not an attribute"},
	},
	{
		name: "attachment attributes before attAttachRendData",
		data: newTNEF().
			attr(levelAttachment, idAttachData, []byte("data")).
			attr(levelAttachment, idAttachTitle, sz("first.bin")).
			attachment("second.bin", []byte("more")).
			bytes(),
		want: &Message{Attachments: []Attachment{
			{Filename: "first.bin", Data: []byte("data")},
			{Filename: "second.bin", Data: []byte("more")},
		}},
	},
	{
		name: "unknown property type",
		data: newTNEF().
			attr(levelMessage, idMAPIProps, (&props{}).
				add(ptString8, prSubject, sz("kept")).
				add(0x0999, 0x6000, make([]byte, 4)).
				add(ptString8, prBody, sz("lost")).
				bytes()).
			bytes(),
		want: &Message{Subject: "kept"},
		errs: []string{"property 1 of 3: 0x6000 of type 0x0999: unknown property type"},
	},
	{
		name: "property count beyond the data",
		data: newTNEF().
			attr(levelMessage, idMAPIProps, append(le32(0xFFFFFFFF), (&props{}).add(ptString8, prSubject, sz("kept")).b...)).
			bytes(),
		want: &Message{Subject: "kept"},
		errs: []string{"property 1 of 4294967295"},
	},
	{
		name: "value length beyond the data",
		data: newTNEF().
			attr(levelMessage, idMAPIProps, append(append(le32(2), (&props{}).add(ptString8, prSubject, sz("kept")).b...),
				0x02, 0x01, 0x13, 0x10, 1, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 'x')).
			bytes(),
		want: &Message{Subject: "kept"},
		errs: []string{"truncated"},
	},
	{
		name: "object shorter than its IID",
		data: newTNEF().
			attr(levelAttachment, idAttachRendData, rendData).
			attr(levelAttachment, idAttachment, (&props{}).add(ptObject, prAttachDataBin, []byte{1, 2, 3}).bytes()).
			bytes(),
		want: &Message{Attachments: []Attachment{{}}},
		errs: []string{"object 0x3701 of 3 bytes: truncated"},
	},
	{
		name: "MaxAttachments",
		data: newTNEF().
			attachment("1", []byte("1")).
			attachment("2", []byte("2")).
			attachment("3", []byte("3")).
			attachment("4", []byte("4")).
			bytes(),
		lim: Limits{MaxAttachments: 2},
		want: &Message{Attachments: []Attachment{
			{Filename: "1", Data: []byte("1")},
			{Filename: "2", Data: []byte("2")},
		}},
		errs: []string{"attachment 3: limit reached: 2 attachments"},
	},
	{
		name: "MaxBytes",
		data: newTNEF().
			attachment("big", bytes.Repeat([]byte("x"), 100)).
			attachment("small", []byte("y")).
			bytes(),
		lim: Limits{MaxBytes: 20},
		want: &Message{Attachments: []Attachment{
			{Filename: "big"},
			{Filename: "small", Data: []byte("y")},
		}},
		errs: []string{"attachment 1: limit reached: 100 bytes, 16 left"},
	},
	{
		name: "empty stream",
		data: newTNEF().bytes()[:6],
		want: &Message{},
	},
}

// trunc is b without its last n bytes.
func trunc(b []byte, n int) []byte { return b[:len(b)-n] }

func TestRead(t *testing.T) {
	for _, tt := range readTests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read(tt.data, tt.lim)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			errs := m.Errors
			m.Errors = nil
			if !reflect.DeepEqual(m, tt.want) {
				t.Errorf("got  %+v\nwant %+v", m, tt.want)
			}
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %q, want %d like %q", errs, len(tt.errs), tt.errs)
			}
			for i, e := range errs {
				if !strings.Contains(e, tt.errs[i]) {
					t.Errorf("error %d %q, want it to contain %q", i, e, tt.errs[i])
				}
			}
		})
	}
}

func TestReadNotTNEF(t *testing.T) {
	for _, data := range [][]byte{
		nil,
		{0x78, 0x9f, 0x3e},
		{0x78, 0x9f, 0x3e, 0x22, 0x01},
		[]byte("PK\x03\x04 not TNEF at all"),
	} {
		m, err := Read(data, Limits{})
		if m != nil || !errors.Is(err, ErrNotTNEF) {
			t.Errorf("Read(%q) = %v, %v; want nil, ErrNotTNEF", data, m, err)
		}
	}
}

func TestRTFCompressed(t *testing.T) {
	// The bytes kept are the compressed RTF, which the test's decompressor
	// must turn into the example's text.
	m, err := Read(readTests[1].data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rtf, err := testDecompressRTF(m.RTFCompressed)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"; string(rtf) != want {
		t.Errorf("RTF %q, want %q", rtf, want)
	}
}

func TestDataIsCopied(t *testing.T) {
	data := newTNEF().attachment("a", []byte("abc")).bytes()
	m, err := Read(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 0
	}
	if got := string(m.Attachments[0].Data); got != "abc" {
		t.Errorf("data %q after the input changed, want %q", got, "abc")
	}
}
