/* api.c -- GET /api/stats (JSON, built with cJSON) and GET /healthz. */
#include <cjson/cJSON.h>
#include <string.h>

#include "http.h"
#include "writer.h"

static struct store *store_;

void api_set_store(struct store *st)
{
	store_ = st;
}

enum MHD_Result api_stats(struct http_req *r)
{
	const struct config *cfg = http_config();
	cJSON *root = cJSON_CreateObject();
	int64_t count = writer_count();
	long goal = cfg ? cfg->goal : 0;
	char *text;
	enum MHD_Result ret;

	if (root == NULL)
		return MHD_NO;
	cJSON_AddNumberToObject(root, "count", (double)count);
	cJSON_AddNumberToObject(root, "goal", (double)goal);
	cJSON_AddNumberToObject(root, "percent",
				goal > 0 ? (double)(count * 100 / goal > 100 ? 100 : count * 100 / goal) : 0);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL)
		return MHD_NO;
	ret = http_send(r, HTTP_OK, "application/json", text, strlen(text));
	cJSON_free(text);
	return ret;
}

enum MHD_Result api_healthz(struct http_req *r)
{
	if (store_ == NULL || store_ping(store_) != 0)
		return http_send(r, HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
				 "unavailable\n", 12);
	return http_send(r, HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
}
