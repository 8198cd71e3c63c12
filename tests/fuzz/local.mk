# libFuzzer harnesses (tests/fuzz/README). `make fuzz` builds FUZZ_DIR/fuzz-NAME with clang,
# AddressSanitizer, UBSan and libFuzzer, compiling the library sources itself, so it works
# from any configured tree whatever CC is. `make fuzz-run FUZZ_SECONDS=60` runs each harness
# for that long, one after the other, and fails if any of them finds something.
#
# To add a harness: write tests/fuzz/fuzz-NAME.c (LLVMFuzzerTestOneInput), add NAME below,
# and give it seeds (tests/fuzz/seeds/NAME/ for a few hand ones, make-seeds.py for the rest).
FUZZ_TARGETS = domain network qmp state firmware ctl caps agent snapshot dmi pool
FUZZ_SECONDS = 60
FUZZ_CC = clang
FUZZ_DIR = build-fuzz
FUZZ_CFLAGS = -g -O1 -std=gnu11 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
# The library's warnings are gcc's business (--enable-werror); the harnesses are held to clang's.
FUZZ_WARN = -Wall -Wextra -Wno-unused-parameter -Werror
FUZZ_CPPFLAGS = $(DEFS) -I$(top_builddir) $(AM_CPPFLAGS)
FUZZ_LIBS = $(LIBXML_LIBS) $(UUID_LIBS) $(JSONC_LIBS) -lpthread
FUZZ_LIB_OBJS = $(patsubst %.c,$(FUZZ_DIR)/%.o,$(filter %.c,$(libqlaunch_a_SOURCES)))
FUZZ_HDRS = $(addprefix $(srcdir)/,$(filter %.h,$(libqlaunch_a_SOURCES)))

$(FUZZ_LIB_OBJS): $(FUZZ_DIR)/%.o: $(srcdir)/%.c $(FUZZ_HDRS) config.h
	@mkdir -p $(@D)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/libqlaunch-fuzz.a: $(FUZZ_LIB_OBJS)
	$(AM_V_AR)rm -f $@ && $(AR) cr $@ $(FUZZ_LIB_OBJS)

$(FUZZ_DIR)/fuzz-%: $(srcdir)/tests/fuzz/fuzz-%.c $(FUZZ_DIR)/libqlaunch-fuzz.a $(FUZZ_HDRS)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) $(FUZZ_WARN) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_DIR)/libqlaunch-fuzz.a $(FUZZ_LIBS)

$(FUZZ_DIR)/seeds.stamp: $(srcdir)/tests/fuzz/make-seeds.py $(srcdir)/tests/fuzz/xml.dict \
		$(srcdir)/tests/fuzz/json.dict
	$(AM_V_GEN)python3 $(srcdir)/tests/fuzz/make-seeds.py $(srcdir) $(FUZZ_DIR)/seeds \
		'$(CONFORMANCE_DIR)' && mv $(FUZZ_DIR)/seeds/*.dict $(FUZZ_DIR)/ && touch $@

fuzz: $(addprefix $(FUZZ_DIR)/fuzz-,$(FUZZ_TARGETS)) $(FUZZ_DIR)/seeds.stamp

fuzz-run: fuzz
	@pass=0; fail=0; for t in $(FUZZ_TARGETS); do \
	    if $(SHELL) $(srcdir)/tests/fuzz/run.sh $(FUZZ_DIR) $(srcdir) $$t $(FUZZ_SECONDS); then \
	        pass=$$((pass + 1)); else fail=$$((fail + 1)); echo "fuzz-$$t: FAIL"; fi; \
	done; echo "fuzz: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

clean-fuzz:
	rm -rf $(FUZZ_DIR)
.PHONY: fuzz fuzz-run clean-fuzz

EXTRA_DIST += tests/fuzz/README tests/fuzz/run.sh tests/fuzz/make-seeds.py \
	tests/fuzz/xml.dict tests/fuzz/json.dict \
	$(addprefix tests/fuzz/fuzz-,$(addsuffix .c,$(FUZZ_TARGETS))) tests/fuzz/seeds
