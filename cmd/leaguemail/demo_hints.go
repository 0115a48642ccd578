package main

import (
	"fmt"
	"net/url"
	"strings"
)

// clientHints are the commands that connect a person's mail client to
// the demo's servers as user: reading over IMAP and sending over SMTP
// with the user's own From. Without the SMTP side, mutt would send a
// reply through the local sendmail, as root@host, and the gateway would
// take it for a stranger's.
func clientHints(imapAddr, smtpAddr, user, password string) []string {
	cred := url.UserPassword(user, password).String() // alex%40volunteers.example:demo
	imapURL := "imap://" + cred + "@" + imapAddr + "/"
	smtpURL := "smtp://" + cred + "@" + smtpAddr + "/"
	return []string{
		fmt.Sprintf("mutt -n -F /dev/null -e %s", shellQuote(muttSettings(imapURL, smtpURL, user))),
		fmt.Sprintf("aerc, in ~/.config/aerc/accounts.conf: [demo] source = imap+insecure://%s@%s  outgoing = smtp+insecure://%s@%s  from = %s",
			cred, imapAddr, cred, smtpAddr, user),
		fmt.Sprintf("s-nail -S v15-compat -S mta=%s -S smtp-auth=plain -S from=%s -s SUBJECT report@league.example < BODY",
			strings.TrimSuffix(smtpURL, "/"), user),
	}
}

// muttSettings are the mutt commands of the hint: the mailbox, the SMTP
// relay (mutt 2.x's smtp_url), the From, and no TLS (loopback only).
func muttSettings(imapURL, smtpURL, user string) string {
	return fmt.Sprintf("set folder=%s spoolfile=+INBOX record=\"\" smtp_url=%s from=%s use_from=yes ssl_starttls=no ssl_force_tls=no",
		imapURL, smtpURL, user)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
