package testport

import (
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestNoPortTwice: ports handed out in this process and in another one
// running at the same time are never the same, even when the kernel
// offers a port again once it is closed.
func TestNoPortTwice(t *testing.T) {
	if os.Getenv("TESTPORT_CHILD") == "1" {
		var ports []string
		for range 200 {
			p, err := Free()
			if err != nil {
				t.Fatal(err)
			}
			ports = append(ports, strconv.Itoa(p))
		}
		os.Stdout.WriteString("PORTS " + strings.Join(ports, " ") + "\n")
		return
	}
	child := exec.Command(os.Args[0], "-test.run", "^TestNoPortTwice$")
	child.Env = append(os.Environ(), "TESTPORT_CHILD=1")
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for range 200 {
		p, err := Free()
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice in one process", p)
		}
		seen[p] = true
	}
	buf, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, buf)
	}
	_, list, ok := strings.Cut(string(buf), "PORTS ")
	if !ok {
		t.Fatalf("child printed no ports: %s", buf)
	}
	for _, f := range strings.Fields(list) {
		p, _ := strconv.Atoi(f)
		if seen[p] {
			t.Errorf("port %d handed out to both processes while both held it", p)
		}
	}
}
