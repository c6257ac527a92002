/*
 * openapi: the OpenAPI document (docs/openapi.json), as GET /openapi.json
 * (bin/ops.fcgi) and seed 003's GET /api/integrations/docs/openapi
 * (bin/outbound.fcgi) serve it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "openapi.h"
#include "req.h"
#include "util.h"

/* STYLE 11: the document is ~160 KiB; a file past this is not ours. */
#define OPENAPI_MAX	(4 * 1024 * 1024)

/*
 * Where the document is installed, relative to this program's directory
 * (as cli/db_cmd.c finds sql/): beside it (shared hosting, as
 * hookpost.conf), the source tree's docs/ beside bin/, or
 * share/hookpost/ beside PREFIX/bin (make install).
 */
static const char *const openapi_places[] = {
	"openapi.json",
	"../docs/openapi.json",
	"../share/hookpost/openapi.json",
};

/*
 * The document, read on first use and kept for the life of the process.
 * Process-wide state beyond STYLE 9's list, and safe: it is installed
 * data, replaced only by an install, after which the handlers restart.
 */
static char	*openapi_doc;
static size_t	 openapi_len;

/*
 * Reads path into a new buffer (*out, NUL-terminated, *outlen bytes),
 * checking that it is a JSON object.  Returns 0; 1 when there is no such
 * file; -1 when it cannot be read or is not a JSON object (logged).
 */
static int
openapi_read(const char *path, char **out, size_t *outlen)
{
	json_error_t	 err;
	json_t		*j;
	char		*doc;
	size_t		 len;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = read_all(fd, OPENAPI_MAX, &doc, &len);
	close(fd);
	if (rc == -1) {
		if (errno == EFBIG)
			log_error("%s: larger than %d bytes", path, OPENAPI_MAX);
		else
			log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL || !json_is_object(j)) {
		log_error("%s: not a JSON object%s%s", path, j ? "" : ": ",
		    j ? "" : err.text);
		json_decref(j);
		free(doc);
		return -1;
	}
	json_decref(j);
	*out = doc;
	*outlen = len;
	return 0;
}

/* Finds and caches the document.  Returns 0, or -1 (logged). */
static int
openapi_load(void)
{
	char	*exe, *path;
	size_t	 i;
	int	 rc = 1;

	if (openapi_doc != NULL)
		return 0;
	if ((exe = exe_dir()) == NULL) {
		log_error("readlink /proc/self/exe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; rc == 1 && i < sizeof(openapi_places) /
	    sizeof(openapi_places[0]); i++) {
		path = xasprintf("%s/%s", exe, openapi_places[i]);
		rc = openapi_read(path, &openapi_doc, &openapi_len);
		free(path);
	}
	if (rc == 1)
		log_error("openapi.json is not installed beside %s (openapi.json, "
		    "../docs/, ../share/hookpost/)", exe);
	free(exe);
	return rc == 0 ? 0 : -1;
}

void
openapi_answer(struct req *r)
{
	if (openapi_load() == -1) {
		resp_error(r, 500, "openapi_unavailable", "The OpenAPI document "
		    "is not installed (docs/openapi.json, or "
		    "share/hookpost/openapi.json after make install)");
		return;
	}
	resp_send(r, 200, "application/json", NULL, openapi_doc, openapi_len);
}
