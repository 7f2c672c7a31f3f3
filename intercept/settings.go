package intercept

import (
	"fmt"
	"time"
)

// Settings are the engine's knobs. DefaultSettings gives working values; every figure
// a desk may want to change is here rather than in code.
type Settings struct {
	Red, Orange, Yellow int   // score thresholds of the levels (red ≥ Red, ...)
	HighRisk            Level // a caller whose call reaches this level is high-risk for later links

	DefaultCountry  string   // calling code for national numbers, digits ("86")
	VirtualPrefixes []string // virtual-operator number ranges, E.164 prefixes

	WindowKeys    int           // keys per sliding-window table (memory bound)
	WindowHorizon time.Duration // longest velocity / contact window rules may ask for
	PayeeMemory   time.Duration // how long first-time-payee and report history is kept

	DedupeSize int // event ids remembered for idempotency

	ProfileCacheSize int           // risk profiles cached (ristretto)
	ProfileTTL       time.Duration // how long a cached profile is trusted

	Orders OrderSettings // the practice orders follow
}

// DefaultSettings returns the settings of a typical city centre.
func DefaultSettings() Settings {
	return Settings{
		Red: 80, Orange: 50, Yellow: 20, HighRisk: Orange,
		DefaultCountry:   "86",
		VirtualPrefixes:  []string{"+86162", "+86165", "+86167", "+86170", "+86171"},
		WindowKeys:       1 << 20,
		WindowHorizon:    2 * time.Hour,
		PayeeMemory:      90 * 24 * time.Hour,
		DedupeSize:       1 << 20,
		ProfileCacheSize: 1 << 16,
		ProfileTTL:       10 * time.Minute,
		Orders:           DefaultOrderSettings(),
	}
}

// Check reports the first setting that makes no sense.
func (s Settings) Check() error {
	switch {
	case !(s.Red > s.Orange && s.Orange > s.Yellow && s.Yellow > 0 && s.Red <= 100):
		return fmt.Errorf("thresholds red %d > orange %d > yellow %d > 0, red ≤ 100: %w", s.Red, s.Orange, s.Yellow, ErrInvalid)
	case s.DefaultCountry == "" || len(s.DefaultCountry) > 3:
		return fmt.Errorf("default country %q: want a calling code such as 86: %w", s.DefaultCountry, ErrInvalid)
	case s.WindowKeys < 64 || s.DedupeSize < 1 || s.ProfileCacheSize < 1:
		return fmt.Errorf("window keys ≥ 64, dedupe and profile cache sizes ≥ 1: %w", ErrInvalid)
	case s.HighRisk < Yellow || s.HighRisk > Red:
		return fmt.Errorf("high-risk level must be yellow, orange or red: %w", ErrInvalid)
	case s.WindowHorizon <= 0 || s.PayeeMemory < s.WindowHorizon:
		return fmt.Errorf("window horizon > 0 and payee memory ≥ horizon: %w", ErrInvalid)
	}
	if err := s.Orders.check(); err != nil {
		return err
	}
	for _, c := range s.DefaultCountry {
		if c < '0' || c > '9' {
			return fmt.Errorf("default country %q: digits only: %w", s.DefaultCountry, ErrInvalid)
		}
	}
	for _, p := range s.VirtualPrefixes {
		if _, _, ok := numberKey(p); !ok {
			return fmt.Errorf("virtual prefix %q: want + and digits: %w", p, ErrInvalid)
		}
	}
	return nil
}

// Level returns the level of a score.
func (s Settings) Level(score int) Level {
	switch {
	case score >= s.Red:
		return Red
	case score >= s.Orange:
		return Orange
	case score >= s.Yellow:
		return Yellow
	}
	return Green
}
