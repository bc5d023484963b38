package graph

import (
	"strings"
	"testing"
)

func TestParseUserAgent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ua, browser, os string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36", "Chrome 124.0.6367.91", "Windows10"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", "Edge 124.0.2478.80", "Windows10"},
		{"Mozilla/5.0 (Linux; Android 14; SM-T636B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", "Chrome 124.0.6367.82", "Android"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari 17.4", "Ios"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox 125.0", "MacOs"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36", "Chrome 124.0.6367.60", "Linux"},
		{"curl/8.5.0", "", ""},
		{"", "", ""},
		{"Chrome/" + strings.Repeat("9", 600), "Chrome " + strings.Repeat("9", maxVersion), ""},
	} {
		d := parseUserAgent(tc.ua)
		if d.Browser != tc.browser || d.OperatingSystem != tc.os || d.DeviceID != "" || d.IsManaged || d.IsCompliant {
			t.Errorf("%.60q: %+v, want browser %q, operating system %q", tc.ua, d, tc.browser, tc.os)
		}
	}
}
