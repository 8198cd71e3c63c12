/* Enum tables and lifetime of struct domain. */
#include "config.h"
#include "domain/domain.h"
#include "domain/xml.h"

#include <stdlib.h>
#include <string.h>

DOM_ENUM_IMPL(dom_virt, DOM_VIRT_MAX, "kvm", "qemu")
DOM_ENUM_IMPL(dom_lifecycle, DOM_LC_MAX, NULL, "destroy", "restart", "rename-restart",
              "preserve", "coredump-destroy", "coredump-restart")
DOM_ENUM_IMPL(dom_addr_type, DOM_ADDR_MAX, "none", "pci", "drive", "virtio-serial", "usb", "isa",
              "ccid")
DOM_ENUM_IMPL(dom_cpu_mode, DOM_CPU_MODE_MAX, "custom", "host-model", "host-passthrough",
              "maximum")
DOM_ENUM_IMPL(dom_cpu_feature_policy, DOM_CPU_FEAT_MAX, "require", "force", "optional",
              "disable", "forbid")
DOM_ENUM_IMPL(dom_boot_dev, DOM_BOOT_MAX, "hd", "cdrom", "fd", "network")
DOM_ENUM_IMPL(dom_feature, DOM_FEAT_MAX, "acpi", "apic", "pae", "hap", "pmu", "vmport", "smm",
              "pvspinlock", "vmcoreinfo", "ps2", "kvm-hidden", "kvm-hint-dedicated",
              "kvm-poll-control", "kvm-pv-ipi", "kvm-dirty-ring")
DOM_ENUM_IMPL(dom_clock_offset, DOM_CLOCK_MAX, "utc", "localtime", "timezone", "variable",
              "absolute")
DOM_ENUM_IMPL(dom_disk_type, DOM_DISK_MAX, "file", "block", "network")
DOM_ENUM_IMPL(dom_disk_device, DOM_DISKDEV_MAX, "disk", "cdrom", "floppy", "lun")
DOM_ENUM_IMPL(dom_disk_bus, DOM_BUS_MAX, NULL, "virtio", "ide", "sata", "scsi", "usb", "fdc")
DOM_ENUM_IMPL(dom_ctrl_type, DOM_CTRL_MAX, "usb", "ide", "sata", "scsi", "fdc", "virtio-serial",
              "pci", "ccid")
DOM_ENUM_IMPL(dom_net_type, DOM_NET_MAX, "bridge", "network", "user", "ethernet", "direct")
DOM_ENUM_IMPL(dom_input_type, DOM_INPUT_MAX, "tablet", "mouse", "keyboard", "passthrough",
              "evdev")
DOM_ENUM_IMPL(dom_input_bus, DOM_INPUT_BUS_MAX, NULL, "ps2", "usb", "virtio")
DOM_ENUM_IMPL(dom_gfx_type, DOM_GFX_MAX, "spice", "vnc")
DOM_ENUM_IMPL(dom_listen_type, DOM_LISTEN_MAX, "address", "network", "socket", "none")
DOM_ENUM_IMPL(dom_chr_kind, DOM_CHR_KIND_MAX, "serial", "console", "parallel", "channel")
DOM_ENUM_IMPL(dom_chr_type, DOM_CHR_TYPE_MAX, "pty", "file", "unix", "tcp", "udp", "null",
              "stdio", "vc", "dev", "pipe", "spicevmc", "spiceport", "qemu-vdagent", "dbus",
              "nmdm")

enum dom_lifecycle dom_on_poweroff(const struct domain *d)
{
    return d->on_poweroff ? d->on_poweroff : DOM_LC_DESTROY;
}

enum dom_lifecycle dom_on_reboot(const struct domain *d)
{
    return d->on_reboot ? d->on_reboot : DOM_LC_RESTART;
}

enum dom_lifecycle dom_on_crash(const struct domain *d)
{
    return d->on_crash ? d->on_crash : DOM_LC_DESTROY;
}

unsigned dom_vcpus_online(const struct domain *d)
{
    return d->vcpus_current ? d->vcpus_current : d->vcpus;
}

static void free_src(struct dom_src *s)
{
    free(s->path);
}

static void free_addr(struct dom_addr *a)
{
    free(a->usb_port);
}

static void free_chr_source(struct dom_chr_source *s)
{
    free(s->path);
    free(s->mode);
    free(s->host);
    free(s->service);
    free(s->bind_host);
    free(s->bind_service);
    free(s->protocol);
    free(s->channel);
    free(s->log_file);
}

static void free_disk(struct dom_disk *x)
{
    free(x->driver_name);
    free(x->format);
    free(x->cache);
    free(x->io);
    free(x->discard);
    free(x->detect_zeroes);
    free(x->error_policy);
    free(x->rerror_policy);
    free(x->source);
    free(x->protocol);
    for (size_t i = 0; i < x->n_hosts; i++) {
        free(x->hosts[i].name);
        free(x->hosts[i].transport);
        free(x->hosts[i].socket);
    }
    free(x->hosts);
    free(x->dev);
    free(x->tray);
    free(x->serial);
    free(x->wwn);
    free(x->vendor);
    free(x->product);
    free_addr(&x->addr);
    free_src(&x->src);
}

static void free_interface(struct dom_interface *x)
{
    free(x->mac);
    free(x->bridge);
    free(x->network);
    free(x->portgroup);
    free(x->source_dev);
    free(x->source_mode);
    free(x->target_dev);
    free(x->model);
    free(x->vport_type);
    free(x->vport.interfaceid);
    free(x->vport.profileid);
    free(x->vport.instanceid);
    free(x->vport.managerid);
    free(x->vport.typeid_);
    free(x->vport.typeidversion);
    free(x->driver_name);
    free(x->txmode);
    free(x->script);
    free(x->vlan_tags);
    free(x->link_state);
    free(x->rom_file);
    free_addr(&x->addr);
    free_src(&x->src);
}

static void free_graphics(struct dom_graphics *g)
{
    free(g->listen);
    for (size_t i = 0; i < g->n_listens; i++) {
        free(g->listens[i].address);
        free(g->listens[i].network);
        free(g->listens[i].socket);
    }
    free(g->listens);
    if (g->passwd) {
        /* Wipe the secret before giving the memory back. */
        explicit_bzero(g->passwd, strlen(g->passwd));
        free(g->passwd);
    }
    free(g->passwd_valid_to);
    free(g->connected);
    free(g->keymap);
    free(g->share_policy);
    free(g->default_mode);
    free(g->image_compression);
    free(g->jpeg_compression);
    free(g->zlib_compression);
    free(g->playback_compression);
    free(g->streaming_mode);
    free(g->mouse_mode);
    free(g->gl_rendernode);
    for (size_t i = 0; i < g->n_channels; i++) {
        free(g->channels[i].name);
        free(g->channels[i].mode);
    }
    free(g->channels);
    free_src(&g->src);
}

void domain_free(struct domain *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->title);
    free(d->description);
    free(d->vcpu_placement);
    free(d->vcpu_cpuset);
    free(d->cputune.emulatorpin);
    for (size_t i = 0; i < d->cputune.n_vcpupins; i++) {
        free(d->cputune.vcpupins[i].cpuset);
        free_src(&d->cputune.vcpupins[i].src);
    }
    free(d->cputune.vcpupins);
    for (size_t i = 0; i < d->cputune.n_iothreadpins; i++) {
        free(d->cputune.iothreadpins[i].cpuset);
        free_src(&d->cputune.iothreadpins[i].src);
    }
    free(d->cputune.iothreadpins);
    free_src(&d->cputune.src);

    struct dom_mem_backing *mb = &d->mem_backing;
    for (size_t i = 0; i < mb->n_pages; i++) {
        free(mb->pages[i].nodeset);
        free_src(&mb->pages[i].src);
    }
    free(mb->pages);
    free(mb->source);
    free(mb->access);
    free(mb->allocation);
    free_src(&mb->src);
    for (size_t i = 0; i < d->n_iothreads; i++)
        free_src(&d->iothreads[i].src);
    free(d->iothreads);

    struct dom_cpu *c = &d->cpu;
    free(c->model);
    free(c->model_fallback);
    free(c->match);
    free(c->check);
    free(c->vendor);
    for (size_t i = 0; i < c->n_features; i++)
        free(c->features[i].name);
    free(c->features);
    for (size_t i = 0; i < c->n_cells; i++) {
        free(c->cells[i].cpus);
        free(c->cells[i].mem_access);
    }
    free(c->cells);
    free_src(&c->src);
    free_src(&c->topo_src);
    free_src(&c->numa_src);

    struct dom_os *o = &d->os;
    free(o->type);
    free(o->arch);
    free(o->machine);
    free(o->firmware);
    free(o->loader);
    free(o->loader_type);
    free(o->nvram);
    free(o->nvram_template);
    free(o->kernel);
    free(o->initrd);
    free(o->cmdline);
    free(o->dtb);
    free(o->smbios_mode);

    free(d->features.apic_eoi);
    for (size_t i = 0; i < d->features.n_hyperv; i++) {
        free(d->features.hyperv[i].name);
        free(d->features.hyperv[i].value);
    }
    free(d->features.hyperv);

    free(d->clock.timezone);
    free(d->clock.basis);
    for (size_t i = 0; i < d->clock.n_timers; i++) {
        free(d->clock.timers[i].name);
        free(d->clock.timers[i].tickpolicy);
        free(d->clock.timers[i].track);
    }
    free(d->clock.timers);

    struct dom_devices *v = &d->dev;
    free(v->emulator);
    for (size_t i = 0; i < v->n_disks; i++)
        free_disk(&v->disks[i]);
    free(v->disks);
    for (size_t i = 0; i < v->n_controllers; i++) {
        free(v->controllers[i].model);
        free(v->controllers[i].model_name);
        free_addr(&v->controllers[i].addr);
        free_src(&v->controllers[i].src);
    }
    free(v->controllers);
    for (size_t i = 0; i < v->n_interfaces; i++)
        free_interface(&v->interfaces[i]);
    free(v->interfaces);
    for (size_t i = 0; i < v->n_inputs; i++) {
        free(v->inputs[i].evdev);
        free(v->inputs[i].grab);
        free(v->inputs[i].grab_toggle);
        free_addr(&v->inputs[i].addr);
        free_src(&v->inputs[i].src);
    }
    free(v->inputs);
    for (size_t i = 0; i < v->n_graphics; i++)
        free_graphics(&v->graphics[i]);
    free(v->graphics);
    for (size_t i = 0; i < v->n_videos; i++) {
        free(v->videos[i].model);
        free_addr(&v->videos[i].addr);
        free_src(&v->videos[i].src);
    }
    free(v->videos);
    for (size_t i = 0; i < v->n_sounds; i++) {
        struct dom_sound *s = &v->sounds[i];
        free(s->model);
        for (size_t j = 0; j < s->n_codecs; j++)
            free(s->codecs[j]);
        free(s->codecs);
        free_addr(&s->addr);
        free_src(&s->src);
    }
    free(v->sounds);
    for (size_t i = 0; i < v->n_audios; i++) {
        free(v->audios[i].type);
        free_src(&v->audios[i].src);
    }
    free(v->audios);
    for (size_t i = 0; i < v->n_chrs; i++) {
        struct dom_chr *x = &v->chrs[i];
        free_chr_source(&x->source);
        free(x->target_type);
        free(x->target_model);
        free(x->target_name);
        free(x->target_address);
        free(x->target_state);
        free_addr(&x->addr);
        free_src(&x->src);
    }
    free(v->chrs);
    for (size_t i = 0; i < v->n_redirdevs; i++) {
        free(v->redirdevs[i].bus);
        free_chr_source(&v->redirdevs[i].source);
        free_addr(&v->redirdevs[i].addr);
        free_src(&v->redirdevs[i].src);
    }
    free(v->redirdevs);
    for (size_t i = 0; i < v->n_rngs; i++) {
        struct dom_rng *r = &v->rngs[i];
        free(r->model);
        free(r->backend_model);
        free(r->backend_path);
        free_chr_source(&r->egd);
        free_addr(&r->addr);
        free_src(&r->src);
    }
    free(v->rngs);
    for (size_t i = 0; i < v->n_watchdogs; i++) {
        free(v->watchdogs[i].model);
        free(v->watchdogs[i].action);
        free_addr(&v->watchdogs[i].addr);
        free_src(&v->watchdogs[i].src);
    }
    free(v->watchdogs);
    for (size_t i = 0; i < v->n_panics; i++) {
        free(v->panics[i].model);
        free_addr(&v->panics[i].addr);
        free_src(&v->panics[i].src);
    }
    free(v->panics);
    for (size_t i = 0; i < v->n_hubs; i++) {
        free(v->hubs[i].type);
        free_addr(&v->hubs[i].addr);
        free_src(&v->hubs[i].src);
    }
    free(v->hubs);
    free(v->memballoon.model);
    free_addr(&v->memballoon.addr);
    free_src(&v->memballoon.src);

    free(d->source_file);
    free(d);
}
