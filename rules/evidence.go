package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lanjie/lanjie/intercept"
)

// evidence is what a rule function found, kept raw while rules run and formatted only
// for rules that match.
type evidence struct {
	fn      string
	subject string
	minutes int
	n       int
	hit     intercept.Entry
	contact intercept.Contact
	order   string
	at      time.Time // the event's time, for "7m before"
}

func (e *Env) note(ev evidence) {
	ev.at = e.At
	e.evidence = append(e.evidence, ev)
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// why explains a match: the rule's description, then what the functions found.
func why(desc string, evs []evidence) (string, []string) {
	var b strings.Builder
	b.WriteString(desc)
	var links []string
	var said []string
	var one strings.Builder
	for _, ev := range evs {
		one.Reset()
		ev.format(&one)
		if slices.Contains(said, one.String()) {
			continue // two functions that found the same call say it once
		}
		said = append(said, one.String())
		if len(said) == 1 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(one.String())
		if ev.contact.Ref != "" && !slices.Contains(links, ev.contact.Ref) {
			links = append(links, ev.contact.Ref)
		}
	}
	return b.String(), links
}

func (ev evidence) format(b *strings.Builder) {
	switch ev.fn {
	case "number_list", "account_list":
		kind := "entry"
		if ev.hit.Prefix {
			kind = "range"
		}
		fmt.Fprintf(b, "%s is %s-listed (%s %s: %s, source %s", ev.subject, ev.hit.List, kind, ev.hit.Value, ev.hit.Reason, ev.hit.Source)
		if ev.hit.Who != "" {
			fmt.Fprintf(b, ", by %s", ev.hit.Who)
		}
		b.WriteString(")")
	case "overseas":
		fmt.Fprintf(b, "%s is overseas", ev.subject)
	case "virtual_range":
		fmt.Fprintf(b, "%s is in a virtual-operator range", ev.subject)
	case "payee_count":
		fmt.Fprintf(b, "%s received %d transfers in %dm", ev.subject, ev.n, ev.minutes)
	case "payee_sum":
		fmt.Fprintf(b, "%s received ¥%d in %dm", ev.subject, ev.n, ev.minutes)
	case "payee_payers":
		fmt.Fprintf(b, "%s was paid by %d distinct payers in %dm", ev.subject, ev.n, ev.minutes)
	case "caller_callees":
		fmt.Fprintf(b, "%s called or texted %d distinct numbers in %dm", ev.subject, ev.n, ev.minutes)
	case "victims":
		fmt.Fprintf(b, "%s reported by %d distinct victims", ev.subject, ev.n)
	case "reports":
		fmt.Fprintf(b, "%s reported %d times in history", ev.subject, ev.n)
	case "new_payee":
		fmt.Fprintf(b, "first transfer to %s", ev.subject)
	case "stopped":
		fmt.Fprintf(b, "%s is under stop-payment order %s", ev.subject, ev.order)
	case "has_link":
		b.WriteString("text carries a link")
	default: // the contact functions
		c := ev.contact
		verb := "called"
		if c.Tags&intercept.TagSMS != 0 {
			verb = "texted"
		}
		fmt.Fprintf(b, "%s %s by %s (%s) at %s, %s before", ev.subject, verb, c.Caller, tagNames(c.Tags),
			c.At.In(ev.at.Location()).Format("15:04:05"), ev.at.Sub(c.At).Round(time.Second))
		if c.Ref != "" {
			fmt.Fprintf(b, " [%s]", c.Ref)
		}
		if ev.n > 1 {
			fmt.Fprintf(b, ", %d such contacts in %dm", ev.n, ev.minutes)
		}
	}
}

func tagNames(t uint32) string {
	var parts []string
	for _, x := range []struct {
		bit  uint32
		name string
	}{{intercept.TagBlack, "black-listed"}, {intercept.TagGray, "gray-listed"}, {intercept.TagSpoof, "spoofed official number"},
		{intercept.TagVirtual, "virtual range"}, {intercept.TagOverseas, "overseas"}, {intercept.TagHighRisk, "high-risk"}} {
		if t&x.bit != 0 {
			parts = append(parts, x.name)
		}
	}
	return strings.Join(parts, ", ")
}
