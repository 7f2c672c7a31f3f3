package rules

import "strings"

// has_link(text) is true when text carries a web link; see HasLink.
func (e *Env) hasLink(text string) bool {
	if !HasLink(text) {
		return false
	}
	e.note(evidence{fn: "has_link"})
	return true
}

// HasLink is true when text carries a web link (http, https, www. or a bare
// short-link domain such as t.cn/...).
func HasLink(text string) bool {
	t := strings.ToLower(text)
	if strings.Contains(t, "http://") || strings.Contains(t, "https://") || strings.Contains(t, "www.") {
		return true
	}
	for _, s := range []string{".cn/", ".com/", ".cc/", ".top/", ".xyz/", ".vip/", ".me/"} {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}
