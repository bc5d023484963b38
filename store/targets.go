package store

import (
	"encoding/json"

	"github.com/qrpin/qrpin/method"
)

// target is a method.Target in its stored JSON form.
type target struct {
	TargetType             string `json:"targetType"`
	ID                     string `json:"id"`
	IsRegistrationRequired bool   `json:"isRegistrationRequired"`
}

// EncodeTargets returns the JSON form in which every backend stores a
// policy's include or exclude targets (one form, so that migrate-data
// copies them as they are).
func EncodeTargets(ts []method.Target) (string, error) {
	out := make([]target, 0, len(ts))
	for _, t := range ts {
		out = append(out, target(t))
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// DecodeTargets reads what EncodeTargets wrote.
func DecodeTargets(s string) ([]method.Target, error) {
	var in []target
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	out := make([]method.Target, 0, len(in))
	for _, t := range in {
		out = append(out, method.Target(t))
	}
	return out, nil
}
