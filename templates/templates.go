// Package templates implements the text of every mail the gateway sends:
// one text/template file per mail kind (ack.txt, triager-notice.txt,
// escalation.txt, ...) and, where the kind has one, an html/template file
// for its HTML part (ack.html). Files whose names start with "_" hold
// definitions every template of the same kind of file may use.
//
// The files are embedded in the binary; a folder given to Load overrides
// them file by file, so that a deployment can reword a mail without a
// rebuild. HTML templates escape what they insert; text templates insert
// as is, which is why the data they get carries indicators already
// defanged.
package templates

import (
	"embed"
	"errors"
	"fmt"
	htemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	ttemplate "text/template"
)

//go:embed *.txt *.html
var embedded embed.FS

// Set is a parsed set of templates, safe for concurrent use.
type Set struct {
	text map[string]*ttemplate.Template
	html map[string]*htemplate.Template
}

// Default returns the embedded templates. They are tested, so a failure
// here is a programming error.
func Default() *Set {
	s, err := Load("")
	if err != nil {
		panic("templates: embedded templates: " + err.Error())
	}
	return s
}

// Load parses the embedded templates, each replaced by the file of the
// same name in dir when dir is not empty and holds one. A file of dir that
// is neither .txt nor .html is an error, so that a misnamed override is
// not silently ignored.
func Load(dir string) (*Set, error) {
	files := map[string]string{}
	if err := readAll(embedded, files); err != nil {
		return nil, err
	}
	if dir != "" {
		if err := readAll(os.DirFS(dir), files); err != nil {
			return nil, fmt.Errorf("templates folder %s: %w", dir, err)
		}
	}
	s := &Set{text: map[string]*ttemplate.Template{}, html: map[string]*htemplate.Template{}}
	common := func(ext string) []string {
		var names []string
		for name := range files {
			if strings.HasPrefix(name, "_") && path.Ext(name) == ext {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		return names
	}
	for name, body := range files {
		if strings.HasPrefix(name, "_") {
			continue
		}
		kind, ext := strings.TrimSuffix(name, path.Ext(name)), path.Ext(name)
		switch ext {
		case ".txt":
			t := ttemplate.New(name).Funcs(ttemplate.FuncMap(funcs)).Option("missingkey=error")
			for _, c := range common(ext) {
				if _, err := t.New(c).Parse(files[c]); err != nil {
					return nil, fmt.Errorf("template %s: %w", c, err)
				}
			}
			if _, err := t.Parse(body); err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
			s.text[kind] = t
		case ".html":
			t := htemplate.New(name).Funcs(htemplate.FuncMap(funcs)).Option("missingkey=error")
			for _, c := range common(ext) {
				if _, err := t.New(c).Parse(files[c]); err != nil {
					return nil, fmt.Errorf("template %s: %w", c, err)
				}
			}
			if _, err := t.Parse(body); err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
			s.html[kind] = t
		}
	}
	for kind := range s.html {
		if s.text[kind] == nil {
			return nil, fmt.Errorf("template %s.html has no %s.txt: every mail needs a plain-text part", kind, kind)
		}
	}
	return s, nil
}

func readAll(fsys fs.FS, files map[string]string) error {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return err
	}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		if ext := path.Ext(name); ext != ".txt" && ext != ".html" {
			return fmt.Errorf("%s: a template file ends in .txt or .html", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		files[name] = string(b)
	}
	return nil
}

// ErrNoTemplate is returned for a mail kind that has no text template.
var ErrNoTemplate = errors.New("no such template")

// Lang returns the template name to use for kind in language lang (BCP
// 47: "fr", "fr-CA"): kind.fr-ca, then kind.fr, then kind itself, the
// default language's. A missing translation falls back, never fails.
func (s *Set) Lang(kind, lang string) string {
	lang = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(lang), "_", "-"))
	for lang != "" {
		if s.text[kind+"."+lang] != nil {
			return kind + "." + lang
		}
		i := strings.LastIndexByte(lang, '-')
		if i < 0 {
			break
		}
		lang = lang[:i]
	}
	return kind
}

// Has reports whether the set has a text template for kind.
func (s *Set) Has(kind string) bool { return s.text[kind] != nil }

// HasHTML reports whether the set has an HTML template for kind.
func (s *Set) HasHTML(kind string) bool { return s.html[kind] != nil }

// Kinds lists the kinds with a text template.
func (s *Set) Kinds() []string {
	var ks []string
	for k := range s.text {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Text writes the plain-text part of a mail of kind with data.
func (s *Set) Text(w io.Writer, kind string, data any) error {
	t := s.text[kind]
	if t == nil {
		return fmt.Errorf("template %s.txt: %w", kind, ErrNoTemplate)
	}
	if err := t.Execute(w, data); err != nil {
		return fmt.Errorf("template %s.txt: %w", kind, err)
	}
	return nil
}

// HTML writes the HTML part of a mail of kind with data; ok is false,
// and nothing is written, when kind has no HTML template.
func (s *Set) HTML(w io.Writer, kind string, data any) (ok bool, err error) {
	t := s.html[kind]
	if t == nil {
		return false, nil
	}
	if err := t.Execute(w, data); err != nil {
		return true, fmt.Errorf("template %s.html: %w", kind, err)
	}
	return true, nil
}
