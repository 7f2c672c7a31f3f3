package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/lanjie/lanjie/intercept"
)

// Config is everything lanjie is told at start: flags, with defaults from LANJIE_*
// environment variables.
type Config struct {
	Demo      bool   // run the demo scenario and print its decisions
	RulesFile string // JSON array of rules; empty: the starter rule set
	Country   string // default calling code for national numbers
	Engine    intercept.Settings
}

// ParseFlags reads args (without the program name) and the environment.
func ParseFlags(args []string, getenv func(string) string) (Config, error) {
	c := Config{Engine: intercept.DefaultSettings()}
	fs := flag.NewFlagSet("lanjie", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.BoolVar(&c.Demo, "demo", env("LANJIE_DEMO", "") == "1", "run the demo scenario and print its decisions (LANJIE_DEMO=1)")
	fs.StringVar(&c.RulesFile, "rules", env("LANJIE_RULES", ""), "rules file, a JSON array (LANJIE_RULES); default: the starter rules")
	fs.StringVar(&c.Country, "country", env("LANJIE_COUNTRY", "86"), "calling code of national numbers (LANJIE_COUNTRY)")
	fs.IntVar(&c.Engine.Red, "red", c.Engine.Red, "score from which a decision is red and orders go out")
	fs.IntVar(&c.Engine.Orange, "orange", c.Engine.Orange, "score from which a decision is orange (desk review)")
	fs.IntVar(&c.Engine.Yellow, "yellow", c.Engine.Yellow, "score from which a decision is yellow (watch)")
	fs.IntVar(&c.Engine.WindowKeys, "window-keys", c.Engine.WindowKeys, "keys per sliding-window table (memory bound)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	c.Engine.DefaultCountry = c.Country
	if err := c.Engine.Check(); err != nil {
		return c, fmt.Errorf("settings: %w", err)
	}
	return c, nil
}
