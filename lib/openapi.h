/*
 * openapi: the OpenAPI document of every route (docs/openapi.json), found
 * beside the program that serves it (openapi.c says where).
 */
#ifndef HOOKPOST_OPENAPI_H
#define HOOKPOST_OPENAPI_H

#include "req.h"

/*
 * Answers 200 with the document (read on first use and kept), or 500
 * openapi_unavailable when it is not installed.
 */
void	openapi_answer(struct req *);

#endif
