/* Input devices, audio backend, SPICE/VNC, video and sound devices. */
#include "config.h"
#include "domain/parse.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ checks */

/* The model a <video> runs as: libvirt's default on x86 is cirrus. */
static enum dom_video_model video_model(const struct dom_video *v)
{
    return v->model ? v->model : DOM_VIDEO_CIRRUS;
}

static bool video_is_pci(const struct dom_video *v)
{
    return video_model(v) != DOM_VIDEO_NONE && video_model(v) != DOM_VIDEO_RAMFB;
}

static bool sound_is_pci(const struct dom_sound *s)
{
    return s->model == DOM_SOUND_ICH6 || s->model == DOM_SOUND_ICH9
           || s->model == DOM_SOUND_AC97 || s->model == DOM_SOUND_ES1370;
}

int qb_check_gfx(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int n_spice = 0, n_vnc = 0;
    for (size_t i = 0; i < dv->n_graphics; i++) {
        const struct dom_graphics *g = &dv->graphics[i];
        if (g->type == DOM_GFX_SPICE)
            n_spice++;
        else
            n_vnc++;
    }
    if (n_spice > 1 || n_vnc > 1) {
        const struct dom_graphics *g = &dv->graphics[dv->n_graphics - 1];
        return qb_fail(c, &g->src, "QEMU supports one SPICE and one VNC server at most");
    }
    c->has_spice = n_spice > 0;
    c->has_vnc = n_vnc > 0;
    c->primary_video = -1;
    for (size_t i = 0; i < dv->n_videos; i++) {
        const struct dom_video *v = &dv->videos[i];
        enum dom_video_model m = video_model(v);
        if (m == DOM_VIDEO_VMVGA)
            return qb_fail(c, &v->src, "video model 'vmvga' is not supported");
        if (v->accel3d == DOM_TRI_ON)
            return qb_fail(c, &v->src, "3D acceleration is not supported");
        if (m == DOM_VIDEO_NONE && dv->n_videos > 1)
            return qb_fail(c, &v->src, "video model 'none' cannot be combined with others");
        if (m != DOM_VIDEO_QXL && (v->ram || v->vram64))
            return qb_fail(c, &v->src, "ram and vram64 are only valid for qxl");
        if (v->heads > 1 && m != DOM_VIDEO_QXL && m != DOM_VIDEO_VIRTIO)
            return qb_fail(c, &v->src, "heads > 1 needs qxl or virtio");
        if (v->primary == DOM_TRI_ON && c->primary_video < 0)
            c->primary_video = (int)i;
    }
    if (c->primary_video < 0 && dv->n_videos > 0)
        c->primary_video = 0;
    if (c->primary_video >= 0) {
        const struct dom_video *pv = &dv->videos[c->primary_video];
        if (!video_is_pci(pv))
            c->primary_video = -1;
        for (size_t i = 0; i < dv->n_videos; i++) {
            enum dom_video_model m = video_model(&dv->videos[i]);
            if ((int)i != c->primary_video && m != DOM_VIDEO_QXL && m != DOM_VIDEO_VIRTIO
                && m != DOM_VIDEO_NONE)
                return qb_fail(c, &dv->videos[i].src, "a secondary video device must be qxl "
                               "or virtio");
        }
    }
    c->implicit_cirrus = dv->n_graphics > 0 && dv->n_videos == 0;
    for (size_t i = 0; i < dv->n_sounds; i++) {
        const struct dom_sound *s = &dv->sounds[i];
        if (s->audio_id) {
            bool found = false;
            for (size_t k = 0; k < dv->n_audios; k++)
                found |= dv->audios[k].id == s->audio_id;
            if (!found)
                return qb_fail(c, &s->src, "<audio id='%u'> does not exist", s->audio_id);
        }
        c->need_audiodev = true;
    }
    if (dv->n_audios > 1) {
        const struct dom_audio *a = &dv->audios[1];
        return qb_fail(c, &a->src, "more than one <audio> backend is not supported");
    }
    for (size_t k = 0; k < dv->n_audios; k++) {
        const struct dom_audio *a = &dv->audios[k];
        if (a->type == DOM_AUDIO_SPICE && !c->has_spice)
            return qb_fail(c, &a->src, "audio type 'spice' needs SPICE graphics (QEMU: "
                           "Could not init 'spice' audio driver)");
    }
    if (c->has_vnc)
        c->need_audiodev = true;
    if (dv->n_audios)
        snprintf(c->audiodev_id, sizeof(c->audiodev_id), "audio%u", dv->audios[0].id);
    else
        snprintf(c->audiodev_id, sizeof(c->audiodev_id), "audio1");
    for (size_t i = 0; i < dv->n_inputs; i++) {
        const struct dom_input *in = &dv->inputs[i];
        if (in->bus == DOM_INPUT_BUS_PS2 && in->type == DOM_INPUT_TABLET)
            return qb_fail(c, &in->src, "there is no PS/2 tablet; use bus='usb' or 'virtio'");
        bool ps2 = in->bus == DOM_INPUT_BUS_PS2
                   || (in->bus == DOM_INPUT_BUS_DEFAULT
                       && (in->type == DOM_INPUT_MOUSE || in->type == DOM_INPUT_KEYBOARD));
        if (ps2 && c->d->features.f[DOM_FEAT_PS2] == DOM_TRI_OFF)
            return qb_fail(c, &in->src, "a PS/2 %s needs the i8042 controller, which "
                           "<features><ps2 state='off'/> removes; use bus='usb' or 'virtio'",
                           dom_input_type_to_string(in->type));
        if (in->addr.type != DOM_ADDR_NONE && in->bus != DOM_INPUT_BUS_USB
            && in->bus != DOM_INPUT_BUS_VIRTIO)
            return qb_fail(c, &in->src, "a PS/2 input device takes no address");
    }
    return 0;
}

/* Sound cards, video cards (the primary in the chipset's display slot, as libvirt), input
 * devices: PCI, USB or neither. */
void qb_gfx_devices(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_sounds; i++) {
        const struct dom_sound *s = &dv->sounds[i];
        bool pci = sound_is_pci(s), usb = s->model == DOM_SOUND_USB;
        struct qb_dev *x = qb_dev_add(c, QB_DEV_SOUND, &s->addr, &s->src,
                                      pci ? DOM_ADDR_PCI : usb ? DOM_ADDR_USB : DOM_ADDR_NONE);
        if (pci) {
            x->pci_flags = QB_FL_PCI;
            x->pci_rank = QB_RANK_SOUND;
        }
        /* the ICH9 HD audio of real Q35 hardware sits at 00:1B.0 */
        if (c->q35 && s->model == DOM_SOUND_ICH9)
            x->chipset_slot = 0x1b;
        if (usb)
            x->usb_rank = QB_USB_SOUND;
    }
    /* The primary video takes slot 2 (pc) or 1 (q35), else the first free one. */
    unsigned display_slot = c->q35 ? 1 : 2;
    if (c->implicit_cirrus) {
        static const struct dom_addr none = {.type = DOM_ADDR_NONE};
        struct qb_dev *x = qb_dev_add(c, QB_DEV_VIDEO, &none, NULL, DOM_ADDR_NONE);
        x->pci_flags = QB_FL_PCI;
        x->pci_rank = QB_RANK_VIDEO;
        x->chipset_slot = display_slot;
        x->chipset_or_auto = true;
    }
    for (size_t i = 0; i < dv->n_videos; i++) {
        const struct dom_video *v = &dv->videos[i];
        bool pci = video_is_pci(v);
        struct qb_dev *x = qb_dev_add(c, QB_DEV_VIDEO, &v->addr, &v->src,
                                      pci ? DOM_ADDR_PCI : DOM_ADDR_NONE);
        if (pci) {
            enum dom_video_model m = video_model(v);
            x->pci_flags = m == DOM_VIDEO_VIRTIO || m == DOM_VIDEO_BOCHS ? qb_fl_pcie(c)
                                                                           : QB_FL_PCI;
            x->pci_rank = QB_RANK_VIDEO;
        }
        if ((int)i == c->primary_video) {
            x->chipset_slot = display_slot;
            x->chipset_or_auto = true;
        }
    }
    for (size_t i = 0; i < dv->n_inputs; i++) {
        const struct dom_input *in = &dv->inputs[i];
        bool pci = in->bus == DOM_INPUT_BUS_VIRTIO, usb = in->bus == DOM_INPUT_BUS_USB;
        struct qb_dev *x = qb_dev_add(c, QB_DEV_INPUT, &in->addr, &in->src,
                                      pci ? DOM_ADDR_PCI : usb ? DOM_ADDR_USB : DOM_ADDR_NONE);
        if (pci) {
            x->pci_flags = qb_fl_pcie(c);
            x->pci_rank = QB_RANK_INPUT;
        }
        if (usb)
            x->usb_rank = QB_USB_INPUT;
        else if (in->bus == DOM_INPUT_BUS_DEFAULT && in->type == DOM_INPUT_TABLET)
            x->usb_rank = QB_USB_LATE;  /* a tablet is a USB one by default */
    }
}

/* ------------------------------------------------------------------ input */

int qb_build_inputs(struct qb_ctx *c)
{
    int r;
    for (size_t i = 0; i < c->d->dev.n_inputs; i++)
        if ((r = qb_build_input(c, i)) < 0)
            return r;
    return 0;
}

int qb_build_input(struct qb_ctx *c, size_t i)
{
    const struct dom_devices *dv = &c->d->dev;
    static const char *const usb_drv[DOM_INPUT_MAX] = {"usb-tablet", "usb-mouse", "usb-kbd"};
    static const char *const vio_drv[DOM_INPUT_MAX] = {"virtio-tablet-pci", "virtio-mouse-pci",
                                                       "virtio-keyboard-pci"};
    const struct dom_input *in = &dv->inputs[i];
    enum dom_input_bus bus = in->bus;
    char id[32];
    bool hot = qb_is_hot(c, QB_HOT_INPUT, i);
    snprintf(id, sizeof(id), "input%zu", hot ? (size_t)c->hot->num : i);
    if (hot)
        c->r->hot_id = xstrdup(id);
    struct qj j;
    if (in->type == DOM_INPUT_EVDEV) {
        /* libvirt's qemuBuildInputEvdevProps: only non-default settings */
        qj_begin(&j);
        qj_str(&j, "qom-type", "input-linux");
        qj_str(&j, "id", id);
        qj_str(&j, "evdev", in->evdev);
        if (in->repeat == DOM_TRI_ON)
            qj_bool(&j, "repeat", true);
        if (in->grab == DOM_GRAB_ALL)
            qj_bool(&j, "grab_all", true);
        if (in->grab_toggle)
            qj_str(&j, "grab-toggle", dom_grab_toggle_to_string(in->grab_toggle));
        qb_opt(c, QB_SRC(&in->src), "-object", qj_end(&j));
        return 0;
    }
    if (in->type == DOM_INPUT_PASSTHROUGH) {
        qj_begin(&j);
        qj_str(&j, "driver", "virtio-input-host-pci");
        qj_str(&j, "id", id);
        qj_str(&j, "evdev", in->evdev);
        qj_pci(c, &j, &qb_dev(c, QB_DEV_INPUT, i)->pci);
        qb_device(c, QB_SRC(&in->src), &j);
        return 0;
    }
    if (bus == DOM_INPUT_BUS_DEFAULT)
        bus = in->type == DOM_INPUT_TABLET ? DOM_INPUT_BUS_USB : DOM_INPUT_BUS_PS2;
    if (bus == DOM_INPUT_BUS_PS2)
        return 0;   /* i8042 is part of the pc/q35 machine */
    qj_begin(&j);
    if (bus == DOM_INPUT_BUS_USB) {
        qj_str(&j, "driver", usb_drv[in->type]);
        qj_str(&j, "id", id);
        qj_usb(c, &j, &qb_dev(c, QB_DEV_INPUT, i)->usb);
    } else {
        qj_str(&j, "driver", vio_drv[in->type]);
        qj_str(&j, "id", id);
        qj_pci(c, &j, &qb_dev(c, QB_DEV_INPUT, i)->pci);
    }
    qb_device(c, QB_SRC(&in->src), &j);
    if (!c->r->input_ids) {
        c->r->input_ids = xcalloc(dv->n_inputs + 1, sizeof(char *));
        c->r->n_input_ids = dv->n_inputs;
    }
    free(c->r->input_ids[i]);
    c->r->input_ids[i] = xstrdup(id);
    return 0;
}

/* ------------------------------------------------------------------ audio + graphics */

int qb_build_audio(struct qb_ctx *c)
{
    if (!c->need_audiodev)
        return 0;
    const struct dom_devices *dv = &c->d->dev;
    /* QEMU's -audiodev drivers have libvirt's names */
    const char *drv = dv->n_audios ? dom_audio_type_to_string(dv->audios[0].type)
                      : c->has_spice ? "spice" : "none";
    struct qj j;
    qj_begin(&j);
    qj_str(&j, "id", c->audiodev_id);
    qj_str(&j, "driver", drv);
    qb_opt(c, dv->n_audios ? QB_SRC(&dv->audios[0].src)
              : QB_WHY(c->has_spice ? "the audio backend of the sound devices: SPICE's, as "
                                      "libvirt picks with SPICE graphics"
                                    : "the audio backend of the sound devices: none, as "
                                      "libvirt picks without SPICE graphics"),
           "-audiodev", qj_end(&j));
    return 0;
}

/* The listen address of a SPICE or VNC server whose XML gives none (libvirt: qemu.conf
 * spice_listen / vnc_listen, both "127.0.0.1" by default): never every interface. */
#define GFX_DEFAULT_LISTEN "127.0.0.1"

static const struct dom_listen *first_listen(const struct dom_graphics *g)
{
    return g->n_listens ? &g->listens[0] : NULL;
}

/* The TCP address a display listens on when its listen is an address or a network, as the
 * build uses it (NULL: the network's address was not resolved by the launcher). */
static const char *tcp_listen_address(const struct domain *d, const struct dom_graphics *g,
                                      const struct qb_options *o)
{
    const struct dom_listen *l = first_listen(g);
    if (l && l->type == DOM_LISTEN_NETWORK)
        return o->gfx_listen_addr ? o->gfx_listen_addr[g - d->dev.graphics]
                                  : GFX_DEFAULT_LISTEN;
    const char *a = l && l->type == DOM_LISTEN_ADDRESS && l->address ? l->address : g->listen;
    return a ? a : GFX_DEFAULT_LISTEN;
}

static bool gfx_autoport(const struct dom_graphics *g)
{
    return g->autoport == DOM_TRI_ON || g->port < 0;
}

bool qb_graphics_autoport(const struct domain *d, const struct qb_options *o,
                          const char **ret_spice_host, size_t *ret_spice_index)
{
    bool any = false;
    *ret_spice_host = NULL;
    *ret_spice_index = 0;
    for (size_t i = 0; i < d->dev.n_graphics; i++) {
        const struct dom_graphics *g = &d->dev.graphics[i];
        const struct dom_listen *l = first_listen(g);
        if (!gfx_autoport(g) || g->n_listens > 1 ||
            (l && (l->type == DOM_LISTEN_SOCKET || l->type == DOM_LISTEN_NONE)))
            continue;
        any = true;
        if (g->type == DOM_GFX_SPICE && !*ret_spice_host) {
            *ret_spice_host = tcp_listen_address(d, g, o);
            *ret_spice_index = i;
        }
    }
    return any;
}

static int listen_address(struct qb_ctx *c, const struct dom_graphics *g, const char **ret_addr,
                          const char **ret_socket, bool *ret_none)
{
    const struct dom_listen *l = first_listen(g);
    *ret_addr = g->listen;
    *ret_socket = NULL;
    *ret_none = false;
    if (g->n_listens > 1)
        return qb_fail(c, &g->src, "more than one <listen> is not supported");
    if (!l)
        return 0;
    switch (l->type) {
    case DOM_LISTEN_ADDRESS:
        if (l->address)
            *ret_addr = l->address;
        return 0;
    case DOM_LISTEN_SOCKET:
        /* Without a path libvirt generates one in the domain's private directory
         * (qemuProcessGraphicsSetupListen: LIBDIR/vnc.sock, spice.sock); qlaunch's is the
         * run directory. */
        if (l->socket) {
            *ret_socket = l->socket;
        } else {
            bool spice = g->type == DOM_GFX_SPICE;
            free(c->gfx_socket[spice]);
            int r = qb_run_socket(c, &g->src, "graphics socket",
                                  spice ? "spice.sock" : "vnc.sock",
                                  "<listen type='socket' socket='...'/>", &c->gfx_socket[spice]);
            if (r < 0)
                return r;
            *ret_socket = c->gfx_socket[spice];
        }
        return 0;
    case DOM_LISTEN_NONE:
        *ret_none = true;
        return 0;
    case DOM_LISTEN_NETWORK: {
        /* libvirt resolves the network's address at start (networkGetNetworkAddress); so
         * does the launcher, which passes it in. An address in the XML is the one of an
         * earlier run and is not used (libvirt drops it when parsing an inactive XML). */
        size_t gi = (size_t)(g - c->d->dev.graphics);
        if (c->o->gfx_listen_addr) {
            *ret_addr = c->o->gfx_listen_addr[gi];
            if (!*ret_addr)
                return qb_fail(c, &g->src, "internal error: the address of network '%s' was "
                               "not resolved", l->network ? l->network : "");
        } else {
            *ret_addr = GFX_DEFAULT_LISTEN;
            qb_note(c, "graphics %zu listens on network '%s': its address is looked up on "
                    "the host at start; %s is shown here", gi, l->network ? l->network : "",
                    GFX_DEFAULT_LISTEN);
        }
        return 0;
    }
    default:
        return qb_fail(c, &g->src, "listen type %d is not supported", (int)l->type);
    }
}

static void password_note(struct qb_ctx *c, const struct dom_graphics *g, const char *proto)
{
    qb_note(c, "%s password is set with QMP set_password (connected=%s) and expire_password "
            "(%s) before 'cont'; it is not on the command line", proto,
            g->connected ? dom_gfx_connected_to_string(g->connected) : "keep",
            g->passwd_valid_to ? g->passwd_valid_to : "never");
}

static void add_display(struct qb_ctx *c, const struct dom_graphics *g, const char *host,
                        int port, bool autoport, const char *socket)
{
    struct qb_result *r = c->r;
    r->displays = xrealloc(r->displays, (r->n_displays + 1) * sizeof(*r->displays));
    r->displays[r->n_displays++] = (struct qb_display){
        .type = g->type, .dev_index = (size_t)(g - c->d->dev.graphics),
        .host = xstrdup(host), .port = port, .autoport = autoport,
        .socket = xstrdup(socket),
    };
}

static int build_spice(struct qb_ctx *c, const struct dom_graphics *g)
{
    const char *addr, *sock;
    bool none;
    int r;
    if ((r = listen_address(c, g, &addr, &sock, &none)) < 0)
        return r;
    bool autoport = gfx_autoport(g);
    /* With autoport, libvirt drops the ports of a live XML (they were allocated for the run
     * that wrote it) and allocates again; a TLS port only when TLS is configured, which it
     * is not in qlaunch (qemu.conf spice_tls=0). */
    if ((g->tls_port > 0 && !autoport) || g->default_mode == DOM_SPICE_SECURE)
        return qb_fail(c, &g->src, "SPICE TLS (tlsPort, secure channels) is not supported");
    for (size_t i = 0; i < g->n_channels; i++)
        if (g->channels[i].mode == DOM_SPICE_SECURE)
            return qb_fail(c, &g->src, "SPICE channel '%s' mode='secure' needs TLS, which is "
                           "not supported", dom_spice_channel_name_to_string(g->channels[i].name));
    if (g->gl == DOM_TRI_ON)
        return qb_fail(c, &g->src, "SPICE gl='yes' is not supported");
    if (g->gl_rendernode)
        return qb_fail(c, &g->src, "SPICE <gl rendernode> is only meaningful with "
                       "enable='yes'");
    struct strbuf sb = STRBUF_INIT;
    if (sock) {
        sb_add(&sb, "unix=on,addr=");
        sb_add_comma_escaped(&sb, sock);
        add_display(c, g, NULL, 0, false, sock);
    } else if (none) {
        sb_add(&sb, "port=0");
    } else {
        int port = g->port;
        if (autoport) {
            /* QEMU cannot pick a free SPICE port itself: the launcher does (as libvirt's
             * qemuProcessSPICEAllocatePorts) and passes it in the options. */
            if (c->o->spice_port > 0) {
                port = c->o->spice_port;
            } else {
                port = 5900;
                qb_note(c, "SPICE autoport: the port is chosen at start (the first free one "
                        "from 5900); 5900 is shown here");
            }
            if (g->tls_port > 0)
                qb_note(c, "SPICE tlsPort %d is ignored: with autoport the ports are chosen "
                        "at start, and without TLS there is no TLS port", g->tls_port);
        }
        if (port > 0) {
            /* Never every interface by default: libvirt's qemu.conf spice_listen default
             * is 127.0.0.1, used whenever the listen has no address. */
            sb_addf(&sb, "port=%d,addr=", port);
            sb_add_comma_escaped(&sb, addr ? addr : GFX_DEFAULT_LISTEN);
            qb_prop(c, "port", autoport ? QB_FOR(&g->src, "autoport: the launcher picks a "
                                                 "free port at start")
                                        : QB_ATTR(&g->src, "port"));
            qb_prop(c, "addr", addr ? QB_ATTR(&g->src, "listen")
                    : QB_WHY("libvirt's default listen address (qemu.conf spice_listen)"));
            add_display(c, g, addr ? addr : GFX_DEFAULT_LISTEN,
                        autoport && c->o->spice_port <= 0 ? 0 : port, autoport, NULL);
        } else {
            sb_add(&sb, "port=0");  /* port='0' without autoport: no TCP listener */
        }
    }
    /* As libvirt: insecure channels are plaintext-channel= (there is no TLS port, so
     * every channel is plaintext anyway, but QEMU is told so explicitly); 'any' is the
     * default and adds nothing. */
    if (g->default_mode == DOM_SPICE_INSECURE)
        sb_add(&sb, ",plaintext-channel=default");
    for (size_t i = 0; i < g->n_channels; i++)
        if (g->channels[i].mode == DOM_SPICE_INSECURE && g->channels[i].name)
            sb_addf(&sb, ",plaintext-channel=%s",
                    dom_spice_channel_name_to_string(g->channels[i].name));
    if (g->mouse_mode)
        sb_addf(&sb, ",agent-mouse=%s", g->mouse_mode == DOM_SPICE_MOUSE_CLIENT ? "on" : "off");
    if (!g->passwd) {
        sb_add(&sb, ",disable-ticketing=on");
        qb_prop(c, "disable-ticketing", QB_FOR(&g->src, "no passwd: no ticket to ask for"));
    } else
        password_note(c, g, "SPICE");
    /* QEMU takes libvirt's compression and streaming names as they are */
    if (g->image_compression) {
        sb_addf(&sb, ",image-compression=%s", dom_spice_image_to_string(g->image_compression));
        qb_prop(c, "image-compression", QB_ATTR(&g->src, "image@compression"));
    }
    if (g->jpeg_compression)
        sb_addf(&sb, ",jpeg-wan-compression=%s",
                dom_spice_wan_to_string(g->jpeg_compression));
    if (g->zlib_compression)
        sb_addf(&sb, ",zlib-glz-wan-compression=%s",
                dom_spice_wan_to_string(g->zlib_compression));
    if (g->streaming_mode)
        sb_addf(&sb, ",streaming-video=%s", dom_spice_streaming_to_string(g->streaming_mode));
    if (g->playback_compression)
        sb_addf(&sb, ",playback-compression=%s",
                dom_tristate_to_string(g->playback_compression));
    if (g->copypaste == DOM_TRI_OFF)
        sb_add(&sb, ",disable-copy-paste=on");
    if (g->filetransfer == DOM_TRI_OFF)
        sb_add(&sb, ",disable-agent-file-xfer=on");
    sb_add(&sb, ",seamless-migration=on");
    qb_prop(c, "seamless-migration", QB_WHY("libvirt's default"));
    qb_opt(c, QB_SRC(&g->src), "-spice", sb_steal(&sb));
    return 0;
}

static int build_vnc(struct qb_ctx *c, const struct dom_graphics *g)
{
    const char *addr, *sock;
    bool none;
    int r;
    if ((r = listen_address(c, g, &addr, &sock, &none)) < 0)
        return r;
    struct strbuf sb = STRBUF_INIT;
    if (sock) {
        sb_add(&sb, "vnc=unix:");
        sb_add_comma_escaped(&sb, sock);
        add_display(c, g, NULL, 0, false, sock);
    } else if (none) {
        sb_add(&sb, "none");
    } else {
        /* libvirt's qemu.conf vnc_listen default */
        const char *a = addr ? addr : GFX_DEFAULT_LISTEN;
        /* The address is -vnc's implied first key: '=' or ',' in it would be options. The
         * parser checks the XML's; this also covers one resolved from a network. */
        if (!dom_listen_address_ok(a)) {
            sb_free(&sb);
            return qb_fail(c, &g->src, "VNC listen address '%s' is not an IPv4 or IPv6 "
                           "address or a host name", a);
        }
        if (strchr(a, ':'))
            sb_addf(&sb, "[%s]", a);
        else
            sb_add(&sb, a);
        bool autoport = gfx_autoport(g);
        add_display(c, g, a, autoport ? 0 : g->port, autoport, NULL);
        if (autoport) {
            sb_add(&sb, ":0,to=99");
        } else {
            if (g->port < 5900 || g->port > 65535) {
                sb_free(&sb);
                return qb_fail(c, &g->src, "VNC port %d is outside 5900-65535", g->port);
            }
            sb_addf(&sb, ":%d", g->port - 5900);
        }
    }
    if (g->websocket > 0)
        sb_addf(&sb, ",websocket=%d", g->websocket);
    if (g->share_policy)        /* QEMU's share= takes libvirt's names */
        sb_addf(&sb, ",share=%s", dom_vnc_share_to_string(g->share_policy));
    if (g->passwd) {
        sb_add(&sb, ",password=on");
        password_note(c, g, "VNC");
    }
    sb_addf(&sb, ",audiodev=%s", c->audiodev_id);
    qb_opt(c, QB_SRC(&g->src), "-vnc", sb_steal(&sb));
    return 0;
}

int qb_build_graphics(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    const char *keymap = NULL;
    for (size_t i = 0; i < dv->n_graphics; i++) {
        const struct dom_graphics *g = &dv->graphics[i];
        if (g->keymap) {
            if (keymap && !STREQ(keymap, g->keymap))
                return qb_fail(c, &g->src, "SPICE and VNC need the same keymap");
            keymap = g->keymap;
        }
        if (g->type == DOM_GFX_SPICE)
            r = build_spice(c, g);
        else
            r = build_vnc(c, g);
        if (r < 0)
            return r;
    }
    if (keymap) {
        if (strspn(keymap, "abcdefghijklmnopqrstuvwxyz-_") != strlen(keymap))
            return qb_fail(c, &dv->graphics[0].src, "keymap '%s' is not valid", keymap);
        qb_opt(c, QB_ATTR(&dv->graphics[0].src, "keymap"), "-k", xstrdup(keymap));
    }
    return 0;
}

/* ------------------------------------------------------------------ video */

static int build_video(struct qb_ctx *c, const struct dom_video *v, size_t i, bool primary,
                       const struct qb_pci *pci)
{
    char id[32];
    snprintf(id, sizeof(id), "video%zu", i);
    struct qj j;
    qj_begin(&j);
    switch (video_model(v)) {
    case DOM_VIDEO_VGA:
        qj_str(&j, "driver", "VGA");
        qj_str(&j, "id", id);
        if (v->vgamem)
            qj_uint(&j, "vgamem_mb", v->vgamem / 1024);
        break;
    case DOM_VIDEO_CIRRUS:
        qj_str(&j, "driver", "cirrus-vga");
        qj_str(&j, "id", id);
        break;
    case DOM_VIDEO_BOCHS:
        qj_str(&j, "driver", "bochs-display");
        qj_str(&j, "id", id);
        if (v->vram)
            qj_uint(&j, "vgamem", v->vram * 1024);
        break;
    case DOM_VIDEO_RAMFB:
        qj_str(&j, "driver", "ramfb");
        qj_str(&j, "id", id);
        break;
    case DOM_VIDEO_VIRTIO:
        qj_str(&j, "driver", primary ? "virtio-vga" : "virtio-gpu-pci");
        qj_str(&j, "id", id);
        if (v->heads)
            qj_uint(&j, "max_outputs", v->heads);
        break;
    case DOM_VIDEO_QXL:
        qj_str(&j, "driver", primary ? "qxl-vga" : "qxl");
        qj_str(&j, "id", id);
        qj_uint(&j, "max_outputs", v->heads ? v->heads : 1);
        qj_uint(&j, "ram_size", (v->ram ? v->ram : 65536) * 1024ull);
        qj_uint(&j, "vram_size", (v->vram ? v->vram : 65536) * 1024ull);
        qj_uint(&j, "vram64_size_mb", v->vram64 / 1024);
        qj_uint(&j, "vgamem_mb", (v->vgamem ? v->vgamem : 16384) / 1024);
        break;
    default:            /* none */
        free(qj_end(&j));
        return 0;
    }
    qj_pci(c, &j, pci);
    qb_device(c, v->src.path ? QB_SRC(&v->src)
                             : QB_FOR(&c->d->dev.graphics[0].src, "graphics without <video>: "
                                      "a cirrus adapter, as libvirt adds"), &j);
    return 0;
}

int qb_build_videos(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    if (c->implicit_cirrus) {
        static const struct dom_video cirrus = {.model = DOM_VIDEO_CIRRUS};
        qb_note(c, "graphics without <video>: a cirrus adapter is added, as libvirt does");
        return build_video(c, &cirrus, 0, true, &qb_dev(c, QB_DEV_VIDEO, 0)->pci);
    }
    /* The primary first, so it becomes the boot display. */
    if (c->primary_video >= 0
        && (r = build_video(c, &dv->videos[c->primary_video], 0, true,
                            &qb_dev(c, QB_DEV_VIDEO, (size_t)c->primary_video)->pci)) < 0)
        return r;
    /* ids follow libvirt, which moves the primary to the front of the list: video0 is the
     * primary, the others keep their order after it. */
    size_t id = c->primary_video >= 0 ? 1 : 0;
    for (size_t i = 0; i < dv->n_videos; i++)
        if ((int)i != c->primary_video
            && (r = build_video(c, &dv->videos[i], id++, false,
                                &qb_dev(c, QB_DEV_VIDEO, i)->pci)) < 0)
            return r;
    return 0;
}

/* ------------------------------------------------------------------ sound */

int qb_build_sounds(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_sounds; i++) {
        const struct dom_sound *s = &dv->sounds[i];
        char id[32];
        snprintf(id, sizeof(id), "sound%zu", i);
        struct qj j;
        enum dom_sound_model m = s->model;
        if (m == DOM_SOUND_PCSPK)
            continue;   /* -machine pcspk-audiodev= */
        qj_begin(&j);
        if (m == DOM_SOUND_ICH6 || m == DOM_SOUND_ICH9) {
            qj_str(&j, "driver", m == DOM_SOUND_ICH6 ? "intel-hda" : "ich9-intel-hda");
            qj_str(&j, "id", id);
            qj_pci(c, &j, &qb_dev(c, QB_DEV_SOUND, i)->pci);
            qb_device(c, QB_SRC(&s->src), &j);
            size_t n = s->n_codecs ? s->n_codecs : 1;
            for (size_t k = 0; k < n; k++) {
                enum dom_sound_codec codec = s->n_codecs ? s->codecs[k] : DOM_CODEC_DUPLEX;
                char cid[80], bus[48];
                snprintf(cid, sizeof(cid), "%s-codec%zu", id, k);
                snprintf(bus, sizeof(bus), "%s.0", id);
                char drv[32];
                snprintf(drv, sizeof(drv), "hda-%s", dom_sound_codec_to_string(codec));
                qj_begin(&j);
                qj_str(&j, "driver", drv);
                qj_str(&j, "id", cid);
                qj_str(&j, "bus", bus);
                qj_uint(&j, "cad", k);
                qj_str(&j, "audiodev", c->audiodev_id);
                qb_device(c, QB_SRC(&s->src), &j);
            }
            continue;
        }
        switch (m) {
        case DOM_SOUND_AC97:
        case DOM_SOUND_ES1370:
            qj_str(&j, "driver", m == DOM_SOUND_AC97 ? "AC97" : "ES1370");
            qj_str(&j, "id", id);
            qj_str(&j, "audiodev", c->audiodev_id);
            qj_pci(c, &j, &qb_dev(c, QB_DEV_SOUND, i)->pci);
            break;
        case DOM_SOUND_SB16:
            qj_str(&j, "driver", "sb16");
            qj_str(&j, "id", id);
            qj_str(&j, "audiodev", c->audiodev_id);
            break;
        default:        /* usb */
            qj_str(&j, "driver", "usb-audio");
            qj_str(&j, "id", id);
            qj_str(&j, "audiodev", c->audiodev_id);
            qj_usb(c, &j, &qb_dev(c, QB_DEV_SOUND, i)->usb);
            break;
        }
        qb_device(c, QB_SRC(&s->src), &j);
    }
    return 0;
}
