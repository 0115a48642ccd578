package warninglists

import (
	"embed"
	"fmt"
	"path"
	"sync"
)

//go:embed default/*.json
var defaultFS embed.FS

var defaultSet = sync.OnceValue(func() *Set {
	entries, err := defaultFS.ReadDir("default")
	if err != nil {
		panic(fmt.Sprintf("warninglists: embedded defaults: %v", err))
	}
	var lists []*List
	for _, e := range entries {
		data, err := defaultFS.ReadFile(path.Join("default", e.Name()))
		if err != nil {
			panic(fmt.Sprintf("warninglists: embedded defaults: %v", err))
		}
		l, err := decode(data)
		if err != nil {
			panic(fmt.Sprintf("warninglists: embedded %s: %v", e.Name(), err))
		}
		lists = append(lists, l)
	}
	s, errs := Compile(lists)
	if len(errs) > 0 {
		panic(fmt.Sprintf("warninglists: embedded defaults: %v", errs[0]))
	}
	return s
})

// Default returns the embedded lists, for a gateway given no checkout:
// the big providers' mail hosts and sending ranges, URL shorteners,
// platforms that phish abuse, and free mail providers. Its tests keep it
// readable; a panic here is a build mistake, never input.
func Default() *Set { return defaultSet() }

var freemail = sync.OnceValue(func() map[string]bool {
	data, _ := defaultFS.ReadFile("default/freemail.json")
	l, err := decode(data)
	if err != nil {
		panic(fmt.Sprintf("warninglists: embedded freemail.json: %v", err))
	}
	m := make(map[string]bool, len(l.List))
	for _, d := range l.List {
		m[d] = true
	}
	return m
})

// Freemail reports whether domain (lower case, A-label) is a free or
// shared mail provider: an address there says nothing of its domain.
func Freemail(domain string) bool { return freemail()[domain] }
