package ui

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openapiDoc is the API's OpenAPI 3 document; a test checks it against Routes.
//
//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openapi(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openapiDoc)
}
