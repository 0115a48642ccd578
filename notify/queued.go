package notify

import (
	"fmt"
	"mime"
	"path"

	"github.com/hospital-league/leaguemail/store"
)

// Files queued with a mail: a producer that builds a machine-readable
// report at queue time (package takedown's XARF v4 reports) puts it in
// the outbox row's data (store.MailData.Files), and it is attached as is.

// maxQueuedAttachments bounds what one mail carries.
const maxQueuedAttachments = 50

// queuedAttachments reads the files of m's Data. A malformed list is the
// queuer's mistake and final.
func queuedAttachments(m store.OutboxMail) ([]attachment, error) {
	d, err := m.MailData()
	if err != nil {
		return nil, &permanentError{err}
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
