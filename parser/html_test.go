package parser

import (
	"slices"
	"testing"
)

// TestRenderHTMLAttributes: the link attributes read are those of their
// tag, the first of a repeated name as a browser keeps it, whatever other
// attributes stand around them.
func TestRenderHTMLAttributes(t *testing.T) {
	tests := []struct {
		name  string
		html  string
		links []string
		quote bool
	}{
		{"first href of an anchor wins", `<a style="color:red" href="https://first.example-phish.top/" HREF="https://second.example-phish.top/">x</a>`, []string{"https://first.example-phish.top/"}, false},
		{"img src after many attributes", `<img width="1" height="1" alt="" style="display:none" src="https://pixel.example-phish.top/t.gif">`, []string{"https://pixel.example-phish.top/t.gif"}, false},
		{"form action", `<form method="post" action="https://harvest.example-phish.top/post"><input name="pw"></form>`, []string{"https://harvest.example-phish.top/post"}, false},
		{"iframe src", `<iframe src="https://kit.example-phish.top/frame"></iframe>`, []string{"https://kit.example-phish.top/frame"}, false},
		{"href on a div is no link", `<div href="https://not-a-link.example-phish.top/">text</div>`, nil, false},
		{"gmail quote class", `<div dir="ltr" class="gmail_quote">quoted</div>`, nil, true},
		{"cite type", `<div type="cite">quoted</div>`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := renderHTML([]byte(tt.html))
			var got []string
			for _, l := range r.links {
				got = append(got, l.target)
			}
			if !slices.Equal(got, tt.links) {
				t.Errorf("links %q, want %q", got, tt.links)
			}
			if quoted := len(r.text) > 1 && r.text[0] == '>'; quoted != tt.quote {
				t.Errorf("text %q quoted %v, want %v", r.text, quoted, tt.quote)
			}
		})
	}
}
