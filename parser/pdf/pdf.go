// Package pdf implements reading PDF attachments for the links, text and
// pictures a phish puts in them.
//
// A phishing PDF is most often one page with a button: a link annotation
// whose URI action (ISO 32000-1, 12.6.4.7) is the phish, or a QR code
// picture. Read collects every URI, Launch, SubmitForm and JavaScript action
// of the file wherever it sits (annotations, the open action, outlines,
// form fields), the text shown on the pages, and the picture XObjects, for
// the caller to look for QR codes in.
//
// The file is parsed by pdfcpu, which is not hardened against hostile input:
// Read recovers from its panics and returns an error, caps the objects,
// pages, pictures and decompressed bytes, and stops when ctx is done.
package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"sort"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

func init() {
	// pdfcpu would otherwise read and write a configuration folder in the
	// user's home the first time a configuration is asked for: a parser
	// does no I/O.
	model.ConfigPath = "disable"
}

// Defaults for the zero fields of Limits.
const (
	DefaultMaxObjects      = 100000
	DefaultMaxPages        = 200
	DefaultMaxImages       = 32
	DefaultMaxDecodedBytes = 64 << 20
	DefaultMaxImagePixels  = 12 << 20
)

// Limits bound the work Read does. A zero field takes its default.
type Limits struct {
	// MaxObjects is the most objects of the file read.
	MaxObjects int
	// MaxPages is the most pages whose text is read.
	MaxPages int
	// MaxImages is the most pictures returned.
	MaxImages int
	// MaxDecodedBytes is the most bytes decompressed, over all streams.
	MaxDecodedBytes int64
	// MaxImagePixels is the largest picture, in pixels, that is extracted.
	MaxImagePixels int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxObjects <= 0 {
		l.MaxObjects = DefaultMaxObjects
	}
	if l.MaxPages <= 0 {
		l.MaxPages = DefaultMaxPages
	}
	if l.MaxImages <= 0 {
		l.MaxImages = DefaultMaxImages
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	if l.MaxImagePixels <= 0 {
		l.MaxImagePixels = DefaultMaxImagePixels
	}
	return l
}

// Document is what Read found in one file.
type Document struct {
	Links []Link
	// Text is the text shown on the pages, one text line to a line, and
	// the JavaScript of the file's actions.
	Text string
	// Images are the pictures of the file, each encoded as PNG, JPEG or TIFF.
	Images []Image
	// Pages is the number of pages the file declares.
	Pages int
	// Errors say what could not be read; the rest of the file still was.
	Errors []string
}

// Link is a target of an action (ISO 32000-1, 12.6.4).
type Link struct {
	URL string
	// Kind is uri, launch or submit-form.
	Kind string
}

// Image is one picture XObject: encoded (JPEG as the file holds it, or
// PNG and TIFF as pdfcpu writes them) or, for the 8-bit grey and RGB
// pictures of most producers, as grey levels read straight from the stream.
type Image struct {
	// Name is "object N.jpg", N the object's number.
	Name string
	Data []byte
	Gray *image.Gray
}

// ErrNotPDF is returned for data that does not start like a PDF.
var ErrNotPDF = errors.New("pdf: not a PDF file")

// Read reads a PDF file within lim, until ctx is done. The error is non-nil
// only when the file cannot be read at all.
func Read(ctx context.Context, data []byte, lim Limits) (doc *Document, err error) {
	lim = lim.withDefaults()
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	if !bytes.Contains(head, []byte("%PDF-")) {
		return nil, ErrNotPDF
	}
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("pdf: the parser failed on this file: %v", r)
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Offline = true
	conf.Limits.MaxDecodeBytes = lim.MaxDecodedBytes
	conf.Limits.MaxStreamBytes = int64(len(data))
	conf.Limits.MaxImagePixels = lim.MaxImagePixels
	conf.Limits.MaxImageBytes = lim.MaxDecodedBytes
	conf.Limits.MaxObjectCount = lim.MaxObjects
	conf.Limits.MaxXRefEntries = lim.MaxObjects
	conf.Limits.MaxObjectStreamCount = lim.MaxObjects
	conf.Limits.MaxRecursionDepth = 32
	r := &reader{ctx: ctx, lim: lim, doc: &Document{}, seen: map[Link]bool{}}
	// URI actions written in the clear are found even where pdfcpu reads
	// no object: it misses those of files that put every token on a line
	// of its own (as Google Slides exports do) and of damaged files.
	r.rawLinks(data)
	pc, err := pdfcpu.ReadWithContext(ctx, bytes.NewReader(data), conf)
	if err != nil {
		r.rawText(data)
		r.doc.Text = r.text.String()
		if len(r.doc.Links) == 0 && strings.TrimSpace(r.doc.Text) == "" {
			return nil, fmt.Errorf("pdf: %w", err)
		}
		r.errorf("%v: only the links and text written plainly read", err)
		return r.doc, nil
	}
	r.pc = pc
	// Each stage keeps what it found when a later one trips pdfcpu: its
	// image extraction dereferences nil pointers and indexes short arrays
	// on real phishing PDFs and fuzzed ones.
	r.guard("objects", r.objects)
	r.guard("pages", r.pages)
	if len(r.pageDicts) == 0 {
		r.rawText(data)
	}
	r.doc.Text = r.text.String()
	return r.doc, nil
}

func (r *reader) guard(stage string, f func()) {
	defer func() {
		if p := recover(); p != nil {
			r.errorf("reading %s: the parser failed: %v", stage, p)
		}
	}()
	f()
}

type reader struct {
	ctx     context.Context
	pc      *model.Context
	lim     Limits
	doc     *Document
	seen    map[Link]bool
	decoded int64
	// pageDicts are the page objects of the file, in object order: read
	// from the objects, not the page tree, which a broken or hostile
	// file may not have and which pdfcpu's walk panics on.
	pageDicts []types.Dict
	text      bytes.Buffer
}

func (r *reader) errorf(format string, args ...any) {
	if len(r.doc.Errors) < 50 {
		r.doc.Errors = append(r.doc.Errors, fmt.Sprintf(format, args...))
	}
}

// objects walks every object of the file for actions and pictures, in
// object order, so that an action is found wherever the file hides it.
func (r *reader) objects() {
	nrs := make([]int, 0, len(r.pc.Table))
	for nr := range r.pc.Table {
		nrs = append(nrs, nr)
	}
	sort.Ints(nrs)
	if len(nrs) > r.lim.MaxObjects {
		r.errorf("%d objects: only the first %d read", len(nrs), r.lim.MaxObjects)
		nrs = nrs[:r.lim.MaxObjects]
	}
	for _, nr := range nrs {
		if err := r.ctx.Err(); err != nil {
			r.errorf("stopped reading objects: %v", err)
			return
		}
		e := r.pc.Table[nr]
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		switch o := e.Object.(type) {
		case types.Dict:
			r.actions(o, 0)
			if t := o.Type(); t != nil && *t == "Page" {
				r.pageDicts = append(r.pageDicts, o)
			}
		case types.StreamDict:
			r.actions(o.Dict, 0)
			if o.Dict.Subtype() != nil && *o.Dict.Subtype() == "Image" {
				r.guard(fmt.Sprintf("picture %d", nr), func() { r.image(&o, nr) })
			}
		case types.Array:
			r.array(o, 0)
		}
	}
}

const maxNesting = 16

// actions reads the actions of a dictionary and of the dictionaries
// written inside it (an annotation's /A, a field's /AA).
func (r *reader) actions(d types.Dict, depth int) {
	if depth > maxNesting {
		return
	}
	if u, ok := r.str(d["URI"]); ok {
		r.link(u, "uri")
	}
	if s := d.NameEntry("S"); s != nil {
		switch *s {
		case "Launch":
			r.fileLink(d["F"], "launch")
			if win, ok := d["Win"].(types.Dict); ok {
				r.fileLink(win["F"], "launch")
			}
		case "SubmitForm", "ImportData", "GoToR", "GoToE":
			r.fileLink(d["F"], "submit-form")
		case "JavaScript":
			r.script(d["JS"])
		}
	}
	for k, v := range d {
		if k == "Parent" || k == "P" {
			continue
		}
		switch v := v.(type) {
		case types.Dict:
			r.actions(v, depth+1)
		case types.Array:
			r.array(v, depth+1)
		}
	}
}

func (r *reader) array(a types.Array, depth int) {
	if depth > maxNesting {
		return
	}
	for _, v := range a {
		switch v := v.(type) {
		case types.Dict:
			r.actions(v, depth+1)
		case types.Array:
			r.array(v, depth+1)
		}
	}
}

// fileLink reads a file specification (ISO 32000-1, 7.11): a string, or a
// dictionary whose /FS /URL says the /F is a URL.
func (r *reader) fileLink(o types.Object, kind string) {
	o = r.deref(o)
	if s, ok := r.str(o); ok {
		r.link(s, kind)
		return
	}
	if d, ok := o.(types.Dict); ok {
		for _, k := range []string{"UF", "F", "Unix", "DOS", "Mac"} {
			if s, ok := r.str(d[k]); ok {
				r.link(s, kind)
				return
			}
		}
	}
}

// script keeps the JavaScript of an action as text: the URL of
// app.launchURL("...") is found there like any URL of a text.
func (r *reader) script(o types.Object) {
	o = r.deref(o)
	if s, ok := r.str(o); ok {
		r.addText(s)
		return
	}
	if sd, ok := o.(types.StreamDict); ok {
		if b, ok := r.decode(&sd); ok {
			r.addText(string(b))
		}
	}
}

func (r *reader) link(u, kind string) {
	l := Link{URL: u, Kind: kind}
	if u == "" || r.seen[l] || len(r.doc.Links) >= 10000 {
		return
	}
	r.seen[l] = true
	r.doc.Links = append(r.doc.Links, l)
}

func (r *reader) deref(o types.Object) types.Object {
	if o == nil {
		return nil
	}
	v, err := r.pc.Dereference(o)
	if err != nil {
		return nil
	}
	return v
}

// str returns a string or hex string object as text (PDFDocEncoding or
// UTF-16BE with a byte order mark, ISO 32000-1 7.9.2.2).
func (r *reader) str(o types.Object) (string, bool) {
	switch o.(type) {
	case types.StringLiteral, types.HexLiteral, types.IndirectRef:
	default:
		return "", false
	}
	s, err := r.pc.DereferenceText(o)
	if err != nil {
		return "", false
	}
	return s, true
}

// decode decompresses a stream within what is left of the budget.
func (r *reader) decode(sd *types.StreamDict) ([]byte, bool) {
	left := r.lim.MaxDecodedBytes - r.decoded
	if left <= 0 {
		r.errorf("decompressed-size budget of %d bytes spent", r.lim.MaxDecodedBytes)
		return nil, false
	}
	if err := sd.DecodeWithLimit(left); err != nil {
		r.errorf("stream: %v", err)
		return nil, false
	}
	r.decoded += int64(len(sd.Content))
	return sd.Content, true
}

// image extracts a picture XObject as an image file.
func (r *reader) image(sd *types.StreamDict, nr int) {
	if len(r.doc.Images) >= r.lim.MaxImages {
		return
	}
	w, _ := sd.Dict.Find("Width")
	h, _ := sd.Dict.Find("Height")
	wi, _ := w.(types.Integer)
	hi, _ := h.(types.Integer)
	if wi < 21 || hi < 21 {
		return // a mask, a rule or an icon: too small for a QR code
	}
	if int64(wi)*int64(hi) > r.lim.MaxImagePixels {
		r.errorf("picture %d: %dx%d over %d pixels: not read", nr, wi, hi, r.lim.MaxImagePixels)
		return
	}
	if g, ok := r.grey(sd, int(wi), int(hi)); ok {
		r.doc.Images = append(r.doc.Images, Image{Name: fmt.Sprintf("object %d", nr), Gray: g})
		return
	}
	img, err := pdfcpu.ExtractImage(r.pc, sd, false, "", nr, false)
	if err != nil || img == nil || img.Reader == nil {
		if err != nil {
			r.errorf("picture %d: %v", nr, err)
		}
		return
	}
	left := r.lim.MaxDecodedBytes - r.decoded
	data, err := io.ReadAll(io.LimitReader(img, left+1))
	if err != nil || int64(len(data)) > left {
		r.errorf("picture %d: decompressed-size budget spent", nr)
		return
	}
	r.decoded += int64(len(data))
	r.doc.Images = append(r.doc.Images, Image{Name: fmt.Sprintf("object %d.%s", nr, img.FileType), Data: data})
}

// pages reads the text of each page's content streams.
func (r *reader) pages() {
	r.doc.Pages = len(r.pageDicts)
	pages := r.pageDicts
	if len(pages) > r.lim.MaxPages {
		r.errorf("%d pages: the text of the first %d read", len(pages), r.lim.MaxPages)
		pages = pages[:r.lim.MaxPages]
	}
	for _, d := range pages {
		if err := r.ctx.Err(); err != nil {
			r.errorf("stopped reading pages: %v", err)
			break
		}
		for _, sd := range r.contents(d["Contents"]) {
			if b, ok := r.decode(sd); ok {
				contentText(b, &r.text)
			}
		}
	}
}

// contents returns the content streams of a page: one stream or an array.
func (r *reader) contents(o types.Object) []*types.StreamDict {
	var out []*types.StreamDict
	switch v := r.deref(o).(type) {
	case types.StreamDict:
		out = append(out, &v)
	case types.Array:
		for _, e := range v {
			if sd, ok := r.deref(e).(types.StreamDict); ok {
				out = append(out, &sd)
			}
		}
	}
	return out
}

func (r *reader) addText(s string) {
	if int64(r.text.Len()+len(s)) > r.lim.MaxDecodedBytes {
		return
	}
	r.text.WriteString(s)
	r.text.WriteByte('\n')
}

// grey reads an 8-bit grey or RGB picture that is not JPEG, JPEG 2000 or
// fax-coded as grey levels: pdfcpu would encode it as a PNG for the QR
// reader to decode again.
func (r *reader) grey(sd *types.StreamDict, w, h int) (*image.Gray, bool) {
	if bpc, _ := sd.Dict.Find("BitsPerComponent"); r.deref(bpc) != types.Integer(8) {
		return nil, false
	}
	for _, f := range sd.FilterPipeline {
		switch f.Name {
		case "DCTDecode", "JPXDecode", "CCITTFaxDecode", "JBIG2Decode":
			return nil, false
		}
	}
	cs, _ := sd.Dict.Find("ColorSpace")
	var palette []byte // grey of each index of an Indexed colour space
	if a, ok := r.deref(cs).(types.Array); ok && len(a) == 4 && a[0] == types.Name("Indexed") {
		if palette = r.palette(a); palette == nil {
			return nil, false
		}
		g := image.NewGray(image.Rect(0, 0, w, h))
		ok := r.rows(sd, w, h, 1, func(y int, row []byte) {
			pix := g.Pix[y*w : (y+1)*w]
			for x, i := range row {
				pix[x] = palette[i]
			}
		})
		if !ok {
			return nil, false
		}
		return g, true
	}
	switch v := r.deref(cs).(type) {
	case types.Name:
		if v != "DeviceGray" && v != "DeviceRGB" && v != "CalGray" && v != "CalRGB" {
			return nil, false
		}
	case types.Array:
		if len(v) == 0 {
			return nil, false
		}
		if n, ok := v[0].(types.Name); !ok || n != "ICCBased" {
			return nil, false
		}
	default:
		return nil, false
	}
	comps, err := pdfcpu.ColorSpaceComponents(r.pc.XRefTable, sd)
	if err != nil || comps != 1 && comps != 3 {
		return nil, false
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	ok := r.rows(sd, w, h, comps, func(y int, row []byte) {
		pix := g.Pix[y*w : (y+1)*w]
		if comps == 1 {
			copy(pix, row)
			return
		}
		for x := range pix {
			p := row[3*x : 3*x+3]
			pix[x] = byte((int(p[0]) + 2*int(p[1]) + int(p[2])) / 4)
		}
	})
	if !ok {
		return nil, false
	}
	return g, true
}

// palette reads the lookup table of an Indexed colour space (ISO 32000-1,
// 8.6.6.3) over DeviceRGB or DeviceGray as 256 grey levels.
func (r *reader) palette(a types.Array) []byte {
	comps := 0
	switch r.deref(a[1]) {
	case types.Name("DeviceRGB"):
		comps = 3
	case types.Name("DeviceGray"):
		comps = 1
	default:
		return nil
	}
	var table []byte
	switch v := r.deref(a[3]).(type) {
	case types.StringLiteral:
		b, err := types.Unescape(string(v))
		if err != nil {
			return nil
		}
		table = b
	case types.HexLiteral:
		b, err := v.Bytes()
		if err != nil {
			return nil
		}
		table = b
	case types.StreamDict:
		b, ok := r.decode(&v)
		if !ok {
			return nil
		}
		table = b
	default:
		return nil
	}
	grey := make([]byte, 256)
	for i := range grey {
		grey[i] = 255
		if (i+1)*comps > len(table) {
			continue
		}
		p := table[i*comps : (i+1)*comps]
		if comps == 1 {
			grey[i] = p[0]
		} else {
			grey[i] = byte((int(p[0]) + 2*int(p[1]) + int(p[2])) / 4)
		}
	}
	return grey
}

// rawLinks finds the /URI entries of the file's uncompressed bytes
// (ISO 32000-1, 12.6.4.7): a literal or hex string after the name.
func (r *reader) rawLinks(data []byte) {
	for rest := data; len(r.doc.Links) < 10000; {
		i := bytes.Index(rest, []byte("/URI"))
		if i < 0 {
			return
		}
		rest = rest[i+4:]
		j := 0
		for j < len(rest) && isSpace(rest[j]) {
			j++
		}
		if j == len(rest) {
			return
		}
		var s []byte
		switch {
		case rest[j] == '(':
			s, _ = literal(rest[j:])
		case rest[j] == '<' && (j+1 >= len(rest) || rest[j+1] != '<'):
			s, _ = hexString(rest[j:])
		default:
			continue
		}
		r.link(showText(s), "uri")
	}
}

// rawText reads the text of the Flate streams of a file whose pages
// pdfcpu did not find: each stream that inflates to a content stream (one
// with a text object) is read as a page.
func (r *reader) rawText(data []byte) {
	for rest, n := data, 0; n < r.lim.MaxObjects; n++ {
		i := bytes.Index(rest, []byte("stream"))
		if i < 0 {
			return
		}
		rest = rest[i+len("stream"):]
		if bytes.HasPrefix(rest, []byte("\r\n")) {
			rest = rest[2:]
		} else if len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r') {
			rest = rest[1:]
		} else {
			continue // "endstream", or the word in text
		}
		end := bytes.Index(rest, []byte("endstream"))
		if end < 0 {
			return
		}
		left := r.lim.MaxDecodedBytes - r.decoded
		if left <= 0 {
			r.errorf("decompressed-size budget of %d bytes spent", r.lim.MaxDecodedBytes)
			return
		}
		zr, err := zlib.NewReader(bytes.NewReader(rest[:end]))
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(zr, left))
			r.decoded += int64(len(b))
			if bytes.Contains(b, []byte("BT")) {
				contentText(b, &r.text)
			}
		}
		rest = rest[end:]
	}
}
