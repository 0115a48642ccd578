// Package taxii implements a read-only TAXII 2.1 server (OASIS TAXII
// Version 2.1, 10 June 2021) of the league's feeds, so that the tools
// CERTs and hospitals run (OpenCTI, MISP, Sentinel, Splunk,
// taxii2-client) pull them by themselves.
//
// One API root holds the collections: "public" (TLP:CLEAR and GREEN) and,
// for each consumer's API key, that consumer's view, which adds what its
// TLP ceiling and scope (country, sector) allow. The objects are those of
// the STIX export (export.STIXObjects) with the same stable ids; the
// store remembers when each version of an object was first served in a
// collection (date_added), so that added_after pages alike on every poll
// and a consumer that pulled yesterday gets only what changed.
//
// Files: discovery.go (discovery and API root), collections.go (which
// collections a request may see, and what each holds), objects.go
// (objects, one object, its versions, the manifest), paging.go (the
// query parameters, filters and next), auth.go (API keys), ratelimit.go,
// media.go (content negotiation and error messages), server.go (routes
// and the request log).
package taxii
