package org.soupofexperts.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.soupofexperts.core.internal.Djl;

/**
 * The device is chosen on the builder and on load, and specialists and their DJL models follow
 * the soup's. The build machine has only a CPU: the same calls with a GPU run on a CUDA build,
 * and a device the engine does not have is refused by name.
 */
class DeviceTest {

    @TempDir
    Path dir;

    @Test
    void specialistsAndTheirDjlModelsLiveOnTheSoupsDevice() throws Exception {
        Device cpu = Device.cpu();
        try (SoupOfExperts soup = SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .seed(1)
                        .device(cpu)
                        .build();
                Specialist s = soup.instantiate(new double[] {0.5, 0.5});
                Model m = s.newModel()) {
            assertEquals(cpu, soup.device());
            assertEquals(cpu, s.device());
            assertEquals(cpu, m.getNDManager().getDevice(), "the DJL model follows its specialist");
            soup.save(dir.resolve("soup"));
            s.save(dir.resolve("spec"));
        }
        try (SoupOfExperts soup = SoupOfExperts.load(dir.resolve("soup"), cpu);
                Specialist s = Specialist.load(dir.resolve("spec"), cpu);
                DenseModel fresh = DenseModel.create(ToyDomains.tinyModel(), 3, cpu)) {
            assertEquals(cpu, soup.device());
            assertEquals(cpu, s.device());
            assertEquals(cpu, fresh.device());
        }
    }

    @Test
    void aDeviceTheEngineDoesNotHaveIsRefusedByName() throws Exception {
        // Whatever the machine: one GPU beyond the engine's count never exists.
        Device missing = Device.gpu(Djl.engine().getGpuCount());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> SoupOfExperts.builder()
                        .model(ToyDomains.tinyModel())
                        .domains(2)
                        .experts(2)
                        .seed(1)
                        .device(missing)
                        .build());
        assertTrue(
                e.getMessage().contains(missing.toString()) && e.getMessage().contains("CUDA build"), e.getMessage());
        try (SoupOfExperts soup = SoupOfExperts.builder()
                .model(ToyDomains.tinyModel())
                .domains(2)
                .experts(2)
                .seed(1)
                .build()) {
            soup.save(dir.resolve("soup"));
        }
        assertThrows(IllegalArgumentException.class, () -> SoupOfExperts.load(dir.resolve("soup"), missing));
        assertThrows(IllegalArgumentException.class, () -> DenseModel.create(ToyDomains.tinyModel(), 1, missing));
    }
}
