// Package ooxml implements reading Office Open XML documents (docx, xlsx,
// pptx and their macro-enabled kin) for the links and text they hold.
//
// An OOXML file is a zip of XML parts (ECMA-376 Part 2, Open Packaging
// Conventions). A document's hyperlinks are not in its text: each is a
// relationship, in a part's .rels file, whose TargetMode is "External"; so
// are the remote templates and linked OLE objects that documents use to
// fetch their payload. Read takes both, and the words of the document, and
// returns the pictures and embedded objects as files for the caller.
//
// The zip is read by parser/archive, with its caps on entries and inflated
// bytes; encoding/xml expands no entity but the five predefined ones, so a
// part cannot grow when parsed.
package ooxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/hospital-league/leaguemail/parser/archive"
)

// ErrNotOffice is returned for a zip that is not an OOXML package.
var ErrNotOffice = errors.New("ooxml: not an Office Open XML package")

// Document is what Read found.
type Document struct {
	// Links are the targets of external relationships, in part order:
	// hyperlinks, remote templates, linked objects and pictures.
	Links []Link
	// Text is the words of the document: paragraphs, cells, slides, notes,
	// comments, field codes (HYPERLINK "..."), formulas.
	Text string
	// Files are the pictures and embedded objects of the package.
	Files []File
	// Errors say which parts could not be read.
	Errors []string
}

// Link is one external relationship (ECMA-376 Part 2, 9.3).
type Link struct {
	Target string
	// Type is the last segment of the relationship type: hyperlink,
	// attachedTemplate, oleObject, image, frame...
	Type string
	// Part is the .rels part that holds it.
	Part string
}

// File is a picture or an embedded object of the package.
type File struct {
	Name string
	Data []byte
}

// Read reads an OOXML package within the limits of lim.
func Read(data []byte, lim archive.Limits) (*Document, error) {
	lim.MaxDepth = -1 // parts are not archives; embedded zips are the caller's
	list, err := archive.ReadZip(data, lim)
	if err != nil {
		return nil, fmt.Errorf("ooxml: %w", err)
	}
	if !isPackage(list) {
		return nil, ErrNotOffice
	}
	d := &Document{}
	if list.Truncated != "" {
		d.Errors = append(d.Errors, list.Truncated)
	}
	var text strings.Builder
	for _, m := range list.Members {
		if m.Dir {
			continue
		}
		if m.Data == nil {
			if m.Err != "" {
				d.Errors = append(d.Errors, fmt.Sprintf("%s: %s", m.Name, m.Err))
			}
			continue
		}
		name := strings.ToLower(m.Name)
		switch {
		case strings.HasSuffix(name, ".rels"):
			links, err := relationships(m.Data, m.Name)
			if err != nil {
				d.Errors = append(d.Errors, fmt.Sprintf("%s: %v", m.Name, err))
			}
			d.Links = append(d.Links, links...)
		case strings.HasSuffix(name, ".xml") && name != "[content_types].xml":
			if err := words(m.Data, &text); err != nil {
				d.Errors = append(d.Errors, fmt.Sprintf("%s: %v", m.Name, err))
			}
		case isMedia(name):
			d.Files = append(d.Files, File{Name: path.Base(m.Name), Data: m.Data})
		}
	}
	d.Text = text.String()
	return d, nil
}

func isPackage(l *archive.Listing) bool {
	for _, m := range l.Members {
		if strings.EqualFold(m.Name, "[Content_Types].xml") {
			return true
		}
	}
	return false
}

// isMedia says whether a part is a picture or an embedded object: the
// folders every Office application writes them to.
func isMedia(name string) bool {
	return strings.Contains(name, "/media/") || strings.Contains(name, "/embeddings/")
}

// relationships returns the external targets of a .rels part.
func relationships(data []byte, part string) ([]Link, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	var links []Link
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return links, nil
		}
		if err != nil {
			return links, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" {
			continue
		}
		var target, mode, typ string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Target":
				target = a.Value
			case "TargetMode":
				mode = a.Value
			case "Type":
				typ = a.Value
			}
		}
		if strings.EqualFold(mode, "External") && strings.TrimSpace(target) != "" {
			links = append(links, Link{Target: strings.TrimSpace(target), Type: path.Base(typ), Part: part})
		}
	}
}

// words appends the text of a part: the character data of the text
// elements of WordprocessingML (w:t, w:instrText), SpreadsheetML (t, f)
// and DrawingML (a:t), one paragraph, cell or shared string to a line.
func words(data []byte, out *strings.Builder) error {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	in := 0 // depth inside text elements
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t", "instrText", "f", "delText":
				in++
			case "tab":
				out.WriteByte('\t')
			case "br", "cr":
				out.WriteByte('\n')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t", "instrText", "f", "delText":
				if in > 0 {
					in--
				}
				if t.Name.Local != "t" {
					out.WriteByte(' ')
				}
			case "p", "si", "c", "tr", "tc", "is", "comment":
				out.WriteByte('\n')
			}
		case xml.CharData:
			if in > 0 {
				out.Write(t)
			}
		}
	}
}
