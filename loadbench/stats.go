package loadbench

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 1) of ds by the
// nearest-rank method: the smallest value that at least p of the values
// do not exceed. It sorts ds in place; an empty ds gives 0.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(math.Ceil(p*float64(len(ds)))) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// Median returns the median of xs (the mean of the two middle values of an
// even count), or NaN when xs is empty. xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Rate is count per second of d; 0 when d is not positive.
func Rate(count int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(count) / d.Seconds()
}

// Ratio is a / b, or NaN when b is 0 (a ratio that cannot be computed is
// printed as such, never as infinity).
func Ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// HashBound is the shortest time in which n hashes can be computed at rate
// hashes per second (measured on every core): the limit provisioning n
// users, one PIN hash each, cannot beat.
func HashBound(n int, rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(n) / rate * float64(time.Second))
}
