package mailcrypto

import "time"

func testNow() time.Time { return time.Now() }
