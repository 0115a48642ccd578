package outlook

import "fmt"

// attachmentsOf reads the attachment objects of a message,
// "__attach_version1.0_#XXXXXXXX" ([MS-OXMSG] 2.2.2), at depth.
func (rd *reader) attachmentsOf(o *object, m *Message, depth int) {
	list := o.s.childrenWithPrefix(attachPrefix)
	for i, s := range list {
		if rd.attachments >= rd.lim.MaxAttachments {
			rd.errorf(o.where, "attachment limit %d reached: %d of %d attachments not read",
				rd.lim.MaxAttachments, len(list)-i, len(list))
			return
		}
		rd.attachments++
		where := joinWhere(o.where, fmt.Sprintf("attachment %d", i))
		m.Attachments = append(m.Attachments, rd.attachment(s, depth, where, o.codePage))
	}
}

func (rd *reader) attachment(s *storage, depth int, where string, codePage int) Attachment {
	o := rd.newObject(s, headerObject, where, codePage)
	a := Attachment{
		Filename:  o.firstString(pidAttachLongFilename, pidAttachFilename, pidDisplayName),
		MimeType:  o.string(pidAttachMimeTag),
		ContentID: o.string(pidAttachContentID),
	}
	method, _ := o.int32(pidAttachMethod)
	obj := s.child(streamName(pidAttachDataBinary, typeObject), false)
	switch {
	case obj == nil:
		a.Data = o.binary(pidAttachDataBinary)
	case method == attachOLE || obj.stream(propertiesStream) == nil:
		// An OLE object is a compound file of its own (a storage here), not
		// a message; the league has no use for its parts.
		rd.errorf(where, "OLE object %q not read", a.Filename)
	case depth >= rd.lim.MaxDepth:
		rd.errorf(where, "embedded message not read: depth limit %d reached", rd.lim.MaxDepth)
	default:
		// [MS-OXMSG] 2.2.2.1: the embedded message's storage is laid out as
		// a message, with a 24-byte property header.
		a.Embedded = rd.message(obj, depth+1, where+": embedded message", o.codePage)
		if a.Filename == "" {
			a.Filename = a.Embedded.Subject
		}
	}
	return a
}
