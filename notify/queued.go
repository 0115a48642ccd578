package notify

import (
	"encoding/json"
	"fmt"
	"mime"
	"path"

	"github.com/hospital-league/leaguemail/store"
)

// Files queued with a mail: a producer that builds a machine-readable
// report at queue time (package takedown's XARF v4 reports) puts it in
// the outbox row's Data under "files", and it is attached as is.
// ("attachments" is taken: the count of a report's attachments.)
//
//	files [{filename, content_type, data (base64)}]

// maxQueuedAttachments bounds what one mail carries.
const maxQueuedAttachments = 50

type queuedFile struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// queuedAttachments reads the files of m's Data. A malformed list is the
// queuer's mistake and final.
func queuedAttachments(m store.OutboxMail) ([]attachment, error) {
	if len(m.Data) == 0 {
		return nil, nil
	}
	var d struct {
		Files []queuedFile `json:"files"`
	}
	if err := json.Unmarshal(m.Data, &d); err != nil {
		return nil, &permanentError{fmt.Errorf("outbox mail %d: files: %w", m.ID, err)}
	}
	if len(d.Files) > maxQueuedAttachments {
		return nil, &permanentError{fmt.Errorf("outbox mail %d: %d attachments, over %d", m.ID, len(d.Files), maxQueuedAttachments)}
	}
	var out []attachment
	for _, f := range d.Files {
		name := path.Base(HeaderText(f.Filename))
		ct, params, err := mime.ParseMediaType(f.ContentType)
		if name == "" || name == "." || name == "/" || err != nil {
			return nil, &permanentError{fmt.Errorf("outbox mail %d: attachment %q of type %q", m.ID, f.Filename, f.ContentType)}
		}
		delete(params, "name")
		out = append(out, attachment{name: name, contentType: ct, params: params, data: f.Data})
	}
	return out, nil
}
