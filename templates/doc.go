// Package templates embeds the text and HTML templates Steward renders:
// emails, the approval decision page and reports. They are parsed once by the
// packages that use them; the files stay editable data beside this package.
package templates

import "embed"

// FS holds every template file of this directory.
//
//go:embed *.tmpl
var FS embed.FS
