package rules

import (
	_ "embed"
)

//go:embed starter.json
var starterJSON []byte

// Starter returns the starter rule set: real patterns of telecom fraud (transfers
// during scam calls, drained balances, mules, call centres, spoofed official numbers,
// links from virtual ranges, reports naming suspects). Analysts extend it.
func Starter() []Rule {
	rs, err := ParseRules(starterJSON)
	if err != nil {
		panic("starter rules: " + err.Error()) // embedded and tested: cannot happen
	}
	return rs
}
