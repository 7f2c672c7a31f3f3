package intercept

// Keys for the in-memory tables. Numbers and accounts are digit strings; packing each
// digit into a nibble (digit+1, so leading zeros survive and 0 means "no digit") gives
// fixed-size, pointer-free map keys: the garbage collector never scans the tables and
// 10M entries fit in a few hundred megabytes.

// numberKey packs the digits of an E.164 number ("+8613800000001") into a uint64.
// ok is false for anything but "+" and 1..15 digits (E.164), so the top nibble
// of a number key is always zero.
func numberKey(n string) (k uint64, digits int, ok bool) {
	if len(n) < 2 || n[0] != '+' || len(n) > 16 {
		return 0, 0, false
	}
	for i := 1; i < len(n); i++ {
		c := n[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		k = k<<4 | uint64(c-'0'+1)
	}
	return k, len(n) - 1, true
}

// numberString turns a number key back into its E.164 form.
func numberString(k uint64) string {
	var buf [17]byte
	i := len(buf)
	for k != 0 {
		i--
		buf[i] = byte(k&0xf) - 1 + '0'
		k >>= 4
	}
	i--
	buf[i] = '+'
	return string(buf[i:])
}

// accountKey packs up to 32 digits into two words. ok is false for anything else;
// such accounts live in a string-keyed side table.
type accountKey [2]uint64

func makeAccountKey(a string) (k accountKey, ok bool) {
	if len(a) == 0 || len(a) > 32 {
		return k, false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c < '0' || c > '9' {
			return k, false
		}
		w := i / 16
		k[w] = k[w]<<4 | uint64(c-'0'+1)
	}
	return k, true
}

// mix is a 64-bit finaliser (from SplitMix64) that spreads keys over shards.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hashString is FNV-1a, mixed; used for window keys of arbitrary strings.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h)
}

// entityKey is the window-table key of a number or an account: the packed key when it
// fits, a hash otherwise. The spaces cannot collide in practice (packed number keys
// have no zero nibble; hashes rarely avoid one).
func entityKey(s string) uint64 {
	if k, _, ok := numberKey(s); ok {
		return k
	}
	if ak, ok := makeAccountKey(s); ok {
		return mix(ak[0]^mix(ak[1]+0x9e3779b97f4a7c15)) | 1<<63
	}
	return hashString(s)
}
