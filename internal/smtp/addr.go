package smtp

import "net/mail"

func parseAddr(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return s, err
	}
	return a.Address, nil
}
