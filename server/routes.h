/* routes.h -- every route the server answers, declared once.
 *
 * ROUTES(X) expands X(id, method, path, flags, handler) per route. routes.c
 * builds the dispatch table from it (with the handlers); anything else that
 * needs a route's path asks routes_path(ROUTE_x) instead of spelling it. The
 * fuzz target for route.c expands the same list, so what it checks is the
 * server's real table. GET routes also answer HEAD; 404 and 405 with Allow
 * come from this table (route.c). */
#ifndef PETITIOND_ROUTES_H
#define PETITIOND_ROUTES_H

#include "route.h"

#define ROUTES(X)                                                                            \
	X(INDEX, "GET", "/", ROUTE_F_CACHEABLE, page_index)                                      \
	X(SIGN, "POST", "/sign", 0, sign_post)                                                \
	X(THANKS, "GET", "/thanks", 0, page_thanks)                                           \
	X(STATS, "GET", "/api/stats", 0, api_stats)                                           \
	X(HEALTHZ, "GET", "/healthz", 0, api_healthz)                                         \
	X(ADMIN, "GET", "/admin", ROUTE_F_ADMIN, admin_page)                                    \
	X(EXPORT, "GET", "/admin/export.csv", ROUTE_F_ADMIN, admin_export)                      \
	X(DELETE, "POST", "/admin/delete", ROUTE_F_ADMIN, moderation_delete_email)              \
	X(EMBED, "GET", "/embed", ROUTE_F_FRAMEABLE | ROUTE_F_CACHEABLE, page_embed)              \
	X(QR, "GET", "/qr.svg", ROUTE_F_CACHEABLE, static_qr)                                   \
	X(ROBOTS, "GET", "/robots.txt", ROUTE_F_CACHEABLE, static_file)                         \
	X(FAVICON, "GET", "/favicon.ico", ROUTE_F_CACHEABLE, static_file)                       \
	X(STATIC, "GET", "/static/", ROUTE_F_PREFIX | ROUTE_F_CACHEABLE, static_file)          \
	X(LOGIN, "GET", "/admin/login", 0, admin_login_page)                                    \
	X(LOGIN_POST, "POST", "/admin/login", 0, admin_login_post)                              \
	X(LOGOUT, "POST", "/admin/logout", 0, admin_logout)                                     \
	X(ADMINS, "GET", "/admin/admins", ROUTE_F_ADMIN, admin_admins_page)                     \
	X(ADMINS_POST, "POST", "/admin/admins", ROUTE_F_ADMIN, admin_admins_post)               \
	X(AUDIT, "GET", "/admin/audit", ROUTE_F_ADMIN, admin_audit_page)                  \
	X(CONTENT, "GET", "/admin/content", ROUTE_F_ADMIN, admin_content_page)            \
	X(CONTENT_POST, "POST", "/admin/content", ROUTE_F_ADMIN | ROUTE_F_UPLOAD, admin_content_publish) \
	X(CONTENT_PREVIEW, "POST", "/admin/content/preview", ROUTE_F_ADMIN | ROUTE_F_UPLOAD, admin_content_preview) \
	X(CONTENT_VERSION, "GET", "/admin/content/version", ROUTE_F_ADMIN, admin_content_version) \
	X(CONTENT_REVERT, "POST", "/admin/content/revert", ROUTE_F_ADMIN, admin_content_revert) \
	X(CONTENT_WITHDRAW, "GET", "/admin/content/withdraw", ROUTE_F_ADMIN, admin_content_withdraw_page) \
	X(CONTENT_WITHDRAW_POST, "POST", "/admin/content/withdraw", ROUTE_F_ADMIN, admin_content_withdraw) \
	X(CONTENT_IMAGE, "POST", "/admin/content/image", ROUTE_F_ADMIN | ROUTE_F_UPLOAD, admin_content_image) \
	X(CONTENT_IMAGE_RESET, "POST", "/admin/content/image/reset", ROUTE_F_ADMIN, admin_content_image_reset) \
	X(SHARE_IMAGE, "GET", "/share-image/", ROUTE_F_PREFIX | ROUTE_F_CACHEABLE, admin_content_share_image) \
	X(SETTINGS, "GET", "/admin/settings", ROUTE_F_ADMIN, admin_settings)                  \
	X(SETTINGS_POST, "POST", "/admin/settings", ROUTE_F_ADMIN, admin_settings_post) \
	X(SIGNATURES, "GET", "/admin/signatures", ROUTE_F_ADMIN, moderation_list) \
	X(SIG_DELETE, "GET", "/admin/signatures/delete", ROUTE_F_ADMIN, moderation_delete_confirm) \
	X(SIG_DELETE_POST, "POST", "/admin/signatures/delete", ROUTE_F_ADMIN, moderation_delete) \
	X(SIG_HIDE, "POST", "/admin/signatures/hide", ROUTE_F_ADMIN, moderation_act) \
	X(SIG_SHOW, "POST", "/admin/signatures/show", ROUTE_F_ADMIN, moderation_act) \
	X(SIG_KEEP, "POST", "/admin/signatures/keep", ROUTE_F_ADMIN, moderation_act) \
	X(EXPORT_JSON, "GET", "/admin/export.json", ROUTE_F_ADMIN, admin_export_json) \
	X(HISTORY, "GET", "/api/history", ROUTE_F_CACHEABLE, api_history) \
	X(IMPORT, "GET", "/admin/import", ROUTE_F_ADMIN, admin_import_page) \
	X(IMPORT_POST, "POST", "/admin/import", ROUTE_F_ADMIN | ROUTE_F_UPLOAD, admin_import_post) \
	X(PRINT, "GET", "/admin/print", ROUTE_F_ADMIN, admin_print) \
	X(METRICS, "GET", "/metrics", ROUTE_F_ADMIN, metrics_get) \
	X(CONFIRM, "GET", "/confirm", 0, confirm_page) \
	X(CONFIRM_POST, "POST", "/confirm", 0, confirm_post) \
	X(WITHDRAW, "GET", "/withdraw", 0, withdraw_page) \
	X(WITHDRAW_POST, "POST", "/withdraw", 0, withdraw_post)

#define ROUTES_ID(id, method, path, flags, handler) ROUTE_##id,
enum route_id { ROUTES(ROUTES_ID) ROUTE_COUNT };
#undef ROUTES_ID

#endif
