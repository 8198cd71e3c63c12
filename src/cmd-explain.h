/* `qlaunch validate --explain`: each element of a domain XML with what it became, from the
 * origins the builder recorded (argv --explain read the other way round). */
#pragma once
#include <json-c/json.h>
#include <stdio.h>
#include "domain/parse.h"
#include "qemu/build.h"

/* [{path, line, became:[{option, value, property, reason}], outcome, message}] for every
 * element of els: outcome "options" (became lists them), "ignored" (by design), "refused"
 * (message: the error), "supervisor" (honoured outside the command line: message says
 * how), "part" (read as part of the element message names), "accepted" (no option of
 * its own) or "unbuilt" (the domain was refused elsewhere). r: the build with o->explain
 * (NULL when the domain was refused). */
json_object *explain_elements(const struct dom_elems *els, const struct qb_result *r,
                              const struct dom_diags *g);
/* The readable form: "PATH (line N)" then indented "-> OPTION VALUE" lines or the outcome. */
void explain_elements_print(FILE *f, json_object *elements);
