package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// csvHeader is the first line of the CSV feed.
var csvHeader = []string{"type", "value", "first_seen", "last_seen", "tickets", "tlp"}

// WriteCSV writes what Filter lets out of ts as CSV (RFC 4180, CRLF line
// ends) with a header line, one row
// per indicator in type and value order: type, value, first_seen and
// last_seen (RFC 3339, UTC), the tickets it was seen on separated by
// spaces, and its TLP.
func WriteCSV(w io.Writer, ts []Ticket, o Options) error {
	b, err := csvBytes(ts, o)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

func csvBytes(ts []Ticket, o Options) ([]byte, error) {
	ts, err := Filter(ts, o)
	if err != nil {
		return nil, err
	}
	now := o.now()
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true // as RFC 4180 has it, and as notify's attachments
	cw.Write(csvHeader)
	for _, in := range indicators(ts) {
		nums := make([]string, len(in.Tickets))
		for i, n := range in.Tickets {
			nums[i] = strconv.FormatInt(n, 10)
		}
		cw.Write([]string{in.Type, in.Value,
			orNow(in.FirstSeen, now).Format(time.RFC3339),
			orNow(latest(in.FirstSeen, in.LastSeen), now).Format(time.RFC3339),
			strings.Join(nums, " "), in.TLP})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return nil, fmt.Errorf("encode CSV: %w", err)
	}
	return buf.Bytes(), nil
}
