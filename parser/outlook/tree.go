package outlook

import (
	"sort"
	"strings"

	"github.com/richardlehane/mscfb"
)

// storage is a storage object of the compound file ([MS-CFB] 2.6): named
// streams and named child storages.
type storage struct {
	streams  map[string]*mscfb.File
	children map[string]*storage
}

func newStorage() *storage {
	return &storage{streams: map[string]*mscfb.File{}, children: map[string]*storage{}}
}

// buildTree arranges the directory entries of cf by their paths. mscfb lists
// entries flat, each with the names of the storages above it.
func buildTree(cf *mscfb.Reader) *storage {
	root := newStorage()
	for _, f := range cf.File {
		parent := root
		for _, name := range f.Path {
			parent = parent.child(name, true)
		}
		if f.FileInfo().IsDir() {
			parent.child(f.Name, true)
		} else {
			parent.streams[f.Name] = f
		}
	}
	return root
}

// child returns the child storage name, creating it when create is set.
func (s *storage) child(name string, create bool) *storage {
	c := s.children[name]
	if c == nil && create {
		c = newStorage()
		s.children[name] = c
	}
	return c
}

func (s *storage) stream(name string) *mscfb.File {
	return s.streams[name]
}

// childrenWithPrefix returns the child storages whose names start with
// prefix, in name order: "__attach_version1.0_#00000000" and on, which is
// the order of the attachments ([MS-OXMSG] 2.2.2).
func (s *storage) childrenWithPrefix(prefix string) []*storage {
	var names []string
	for name := range s.children {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	list := make([]*storage, len(names))
	for i, name := range names {
		list[i] = s.children[name]
	}
	return list
}
