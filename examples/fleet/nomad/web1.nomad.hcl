# A qlaunch domain as a Nomad job (docs/fleet.md): the raw_exec task is the domain's
# supervisor, `qlaunch create --foreground`, so Nomad sees the domain as one process.
#   - Stopping the job sends kill_signal: the supervisor powers the guest off (ACPI) and
#     destroys it after --stop-timeout; kill_timeout leaves room for that and the 10 s
#     destroy grace before Nomad kills.
#   - The exit status is the domain's outcome: 0 shut off (the guest powered off, or was
#     destroyed), 1 could not start, 2 crashed, 3 restart limit reached (on_crash=restart
#     restarts the guest in place until then). Nomad's restart block decides what follows
#     an exit: a service job starts the domain again.
#   - The task runs (Nomad's "running") once QEMU runs; the supervisor's lines go to the
#     task's stderr (nomad alloc logs -stderr), QEMU's to the domain's log as well.
# The client must enable raw_exec (plugin "raw_exec" { config { enabled = true } }), run as
# root (qlaunch then runs QEMU as qlaunch-qemu), and have the qlaunch package and the disk
# image; constrain the job to such clients with the node meta below.
job "web1" {
  datacenters = ["dc1"]
  type        = "service"

  constraint {
    attribute = "${meta.qlaunch}"
    value     = "true"
  }

  group "vm" {
    count = 1

    restart {
      attempts = 3
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    task "web1" {
      driver = "raw_exec"

      config {
        command = "/usr/bin/qlaunch"
        args    = ["create", "--foreground", "--stop-timeout", "45", "${NOMAD_TASK_DIR}/web1.xml"]
      }

      kill_signal  = "SIGTERM"
      kill_timeout = "60s"

      template {
        destination = "local/web1.xml"
        change_mode = "noop"
        data        = <<EOT
<domain type='kvm'>
  <name>web1</name>
  <uuid>0b7e4a52-6c1e-4f0e-9a53-2f9d4c1a7e01</uuid>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>restart</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/qlaunch/images/web1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:0b:7e:01'/>
      <source bridge='br0'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <panic model='isa'/>
  </devices>
</domain>
EOT
      }

      resources {
        cpu    = 2000
        memory = 1280
      }
    }
  }
}
