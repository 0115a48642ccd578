package warninglists

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
)

// Load reads every list.json under dir: a checkout of misp-warninglists
// (its lists folder, or the repository root, which holds it). A list that
// cannot be read fails the load, naming its file: a half-read checkout
// would silently turn its values into indicators. Entries a list holds
// that cannot be compiled are skipped; warnings says which.
func Load(dir string) (set *Set, warnings []error, err error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("warninglists: %w", err)
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("warninglists: %s is not a folder", dir)
	}
	return LoadFS(os.DirFS(dir), dir)
}

// LoadFS is Load on a file system; where names it in errors.
func LoadFS(fsys fs.FS, where string) (*Set, []error, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && len(d.Name()) > 0 && d.Name()[0] == '.' {
			return fs.SkipDir // .git and the like
		}
		if !d.IsDir() && d.Name() == "list.json" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("warninglists: reading %s: %w", where, err)
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("warninglists: no list.json found under %s", where)
	}
	sort.Strings(files)
	var lists []*List
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, nil, fmt.Errorf("warninglists: %w", err)
		}
		l, err := decode(data)
		if err != nil {
			return nil, nil, fmt.Errorf("warninglists: %s: %w", path.Join(where, f), err)
		}
		lists = append(lists, l)
	}
	set, warnings := Compile(lists)
	return set, warnings, nil
}
