package web

import (
	"strings"
)

// confSnippet is the api section of clearml.conf for a new pair, ready to paste.
func confSnippet(publicURL, label, key, secretKey string) string {
	var b strings.Builder
	b.WriteString("api {\n")
	b.WriteString("  web_server: " + publicURL + "\n")
	b.WriteString("  api_server: " + publicURL + "\n")
	if label != "" {
		b.WriteString("  # " + oneLine(label) + "\n")
	}
	b.WriteString("  credentials {\n")
	b.WriteString(`    "access_key" = "` + key + "\"\n")
	b.WriteString(`    "secret_key" = "` + secretKey + "\"\n")
	b.WriteString("  }\n}\n")
	return b.String()
}

// jupyterSnippet is the same configuration as notebook %env lines.
func jupyterSnippet(publicURL, label, key, secretKey string) string {
	var b strings.Builder
	b.WriteString("%env CLEARML_WEB_HOST=" + publicURL + "\n")
	b.WriteString("%env CLEARML_API_HOST=" + publicURL + "\n")
	if label != "" {
		b.WriteString("# " + oneLine(label) + "\n")
	}
	b.WriteString("%env CLEARML_API_ACCESS_KEY=" + key + "\n")
	b.WriteString("%env CLEARML_API_SECRET_KEY=" + secretKey + "\n")
	return b.String()
}

// oneLine keeps a label inside its comment line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
